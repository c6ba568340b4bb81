"""Two `App`s (HTTP, SMPP server, the built-in carrier, the demo account) on one PostgreSQL
database: the second starts beside the first with the demo account there already, both answer
/readyz, and a draining node says "not ready" while the other stays ready."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smsgate.app import App
from smsgate.cli.serve import ready_banner
from smsgate.config import Config
from tests.api.smpp_server.customers import Customer, add_smpp_account, submit
from tests.store.backends import store_backend

TIMEOUT = 30.0


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with store_backend("postgres", tmp_path) as backend:
        yield backend.url


def _config(url: str, node_id: str) -> Config:
    return Config(
        db=url,
        http_port=0,
        smpp_port=0,
        simulator=True,
        simulator_channels=False,
        demo_account=True,
        node_id=node_id,
        lease_ttl=1.5,
        drain_grace=0.3,
    )


def test_a_second_node_joins_with_the_demo_account_and_a_draining_node_is_not_ready(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        first, second = App(_config(url, "core-app-1")), App(_config(url, "core-app-2"))
        for app, directory in ((first, "one"), (second, "two")):
            (tmp_path / directory).mkdir()
            monkeypatch.chdir(tmp_path / directory)  # each node its own var/
            await app.start()
        try:
            assert first.demo is not None and second.demo is not None
            assert first.demo.api_key and not second.demo.api_key  # made once, by the first
            assert second.demo.account_id == first.demo.account_id
            assert "made by another node" in ready_banner(second)
            assert first.http is not None and second.http is not None
            one = f"http://127.0.0.1:{first.http.port}"
            two = f"http://127.0.0.1:{second.http.port}"
            async with httpx.AsyncClient(timeout=5) as client:
                for base, node in ((one, "core-app-1"), (two, "core-app-2")):
                    ready = await client.get(f"{base}/readyz")
                    assert ready.status_code == 200
                    assert ready.json() == {"ready": True, "state": "ready", "node": node}
                # the demo key of the first node works on the second (the store is shared)
                auth = {"Authorization": f"Bearer {first.demo.api_key}"}
                sent = await client.post(
                    f"{two}/v1/messages",
                    json={"to": "+819012345678", "text": "hello"},
                    headers=auth,
                )
                assert sent.status_code == 202, sent.text
                # handed to the first node, which holds the bind (each node here has a
                # simulated carrier of its own: a receipt it still owes would be lost with it)
                await delivered(client, two, auth, sent.json()["id"])
                stopping = asyncio.create_task(first.stop())
                async with asyncio.timeout(5):
                    while (await client.get(f"{one}/readyz")).status_code != 503:
                        await asyncio.sleep(0.02)
                draining = await client.get(f"{one}/readyz")
                assert draining.json() == {
                    "ready": False,
                    "state": "draining",
                    "node": "core-app-1",
                }
                assert (await client.get(f"{two}/readyz")).status_code == 200
                await stopping
                # the first node's bind lease went to the second, as its metrics say
                async with asyncio.timeout(5):
                    held = 'smsgate_node_leases_held{node="core-app-2"} 1'
                    while held not in (await client.get(f"{two}/metrics")).text:
                        await asyncio.sleep(0.05)
                metrics = (await client.get(f"{two}/metrics")).text
                assert 'smsgate_node_ready{node="core-app-2"} 1' in metrics
                assert 'smsgate_node_leases_acquired_total{node="core-app-2"} 1' in metrics
                # and now sends what is accepted anywhere
                await delivered(client, two, auth, await send(client, two, auth))
        finally:
            await first.stop()
            await second.stop()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))


async def send(client: httpx.AsyncClient, base: str, auth: dict[str, str]) -> str:
    sent = await client.post(
        f"{base}/v1/messages", json={"to": "+819012345678", "text": "again"}, headers=auth
    )
    assert sent.status_code == 202, sent.text
    return str(sent.json()["id"])


async def delivered(
    client: httpx.AsyncClient, base: str, auth: dict[str, str], message_id: str
) -> None:
    async with asyncio.timeout(10):
        while True:
            got = await client.get(f"{base}/v1/messages/{message_id}", headers=auth)
            if got.json()["status"] == "delivered":
                return
            await asyncio.sleep(0.05)


def test_a_receipt_for_a_customer_bound_to_one_node_goes_out_from_that_node(url: str) -> None:
    """The customer binds to the second node and submits there; the first node holds the
    carrier's bind, so the message is handed to it and its receipt comes there; the receipt's
    deliver_sm goes out from the second node, woken by a notification."""

    async def main() -> None:
        first, second = App(_config(url, "core-smpp-1")), App(_config(url, "core-smpp-2"))
        for app in (first, second):
            app.config.demo_account = False
            await app.start()
        customer = Customer()
        try:
            await add_smpp_account(first, "alice")
            assert second.smpp is not None and second.smpp.port is not None
            connection = await customer.bind(second.smpp.port, "alice")
            answer = await connection.call(submit("to the first node and back"))
            assert answer.command_status == 0
            (receipt,) = await customer.wait_delivered(1, timeout=10)
            assert b"stat:DELIVRD" in receipt.short_message
            assert first.gateway is not None and second.gateway is not None
            assert second.gateway.node.counters.messages_handed_over == 1
            assert first.gateway.node.counters.messages_handed_in == 1
            # the first node announced the receipt's outbox item (the second's poll may have
            # found it before the notification came)
            notified = second.gateway.node.counters.notifications
            async with asyncio.timeout(5):
                while notified.get("outbox", 0) < 1:
                    await asyncio.sleep(0.02)
        finally:
            if customer.connection is not None:
                customer.connection.close()
            await first.stop()
            await second.stop()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))


def test_nodes_starting_at_once_seed_the_database_in_turn(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three nodes started at the same moment on a new database: each writes the configuration
    file's routes and connectors and looks for the demo account in turn, so none fails on what
    another wrote meanwhile and the demo account is made once (they share a var/ here)."""
    monkeypatch.chdir(tmp_path)

    async def main() -> None:
        apps = [App(_config(url, f"core-app-{i}")) for i in range(3)]
        started = await asyncio.gather(*(app.start() for app in apps), return_exceptions=True)
        try:
            assert [s for s in started if s is not None] == []
            demos = [app.demo for app in apps]
            assert all(demo is not None for demo in demos)
            assert len({demo.account_id for demo in demos if demo is not None}) == 1
        finally:
            for app in apps:
                await app.stop()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
