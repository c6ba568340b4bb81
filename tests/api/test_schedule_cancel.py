"""Scheduled sending, validity expiry and cancel through the whole gateway, on an injected clock
(no waiting for the schedule), on both store backends; each outcome owes a callback."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smsgate.domain.account import hash_api_key
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from tests.api.harness import Running, running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

CALLBACK = "https://client.example/status"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(backend: StoreBackend, scenario: Callable[[Running, ManualClock], Awaitable[None]]) -> None:
    async def main() -> None:
        clock = ManualClock()
        async with running_gateway(backend.url, clock) as gw:
            await scenario(gw, clock)

    asyncio.run(main())


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


async def events(gw: Running, message_id: str) -> list[str]:
    assert gw.app.store is not None and gw.app.gateway is not None
    await gw.app.gateway.writer.drain()
    account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
    assert account is not None
    items, _ = await gw.app.store.list_outbox(account.id, subject_id=message_id)
    return [i.event for i in reversed(items)]


def test_a_scheduled_message_goes_when_the_clock_says_so(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        assert gw.app.gateway is not None
        due = clock.time() + 3600
        sent = (await gw.send(scheduled_at=iso(due), callback_url=CALLBACK)).json()
        assert sent["status"] == "scheduled"
        clock.advance(3599)
        gw.app.gateway.dispatcher.wake()
        got = (await gw.client.get(f"/v1/messages/{sent['id']}", headers=gw.headers())).json()
        assert got["status"] == "scheduled"
        clock.advance(1)
        gw.app.gateway.dispatcher.wake()
        assert await gw.wait_final([sent["id"]]) == {sent["id"]: Status.DELIVERED}
        got = (await gw.client.get(f"/v1/messages/{sent['id']}", headers=gw.headers())).json()
        assert got["parts"][0]["submitted_at"] == iso(due).replace("+00:00", ".000Z")
        assert await events(gw, sent["id"]) == ["scheduled", "sent", "delivered"]

    run(backend, scenario)


def test_cancel_a_scheduled_message(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        assert gw.app.gateway is not None
        sent = (await gw.send(scheduled_at=iso(clock.time() + 60), callback_url=CALLBACK)).json()
        path = f"/v1/messages/{sent['id']}/cancel"
        canceled = await gw.client.post(path, headers=gw.headers())
        assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
        again = await gw.client.post(path, headers=gw.headers())
        assert again.status_code == 200 and again.json()["status"] == "canceled"
        # another account's message is not there for it
        theirs = await gw.client.post(path, headers=gw.headers("b"))
        assert theirs.status_code == 404
        clock.advance(120)
        gw.app.gateway.dispatcher.wake()
        # a message sent now overtakes nothing: the canceled one never goes
        later = (await gw.send()).json()["id"]
        await gw.wait_final([later])
        got = (await gw.client.get(f"/v1/messages/{sent['id']}", headers=gw.headers())).json()
        assert got["status"] == "canceled" and got["parts"][0]["upstream_id"] is None
        assert await events(gw, sent["id"]) == ["scheduled", "canceled"]
        # a delivered message cannot be canceled, and says why
        late = await gw.client.post(f"/v1/messages/{later}/cancel", headers=gw.headers())
        assert late.status_code == 409
        assert late.json()["error"]["code"] == "not_cancelable"
        missing = await gw.client.post(f"/v1/messages/{'0' * 32}/cancel", headers=gw.headers())
        assert missing.status_code == 404

    run(backend, scenario)


def test_cancel_a_queued_message_and_expire_another(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        assert gw.app.gateway is not None and gw.app.simulator is not None
        await gw.app.simulator.stop()  # no carrier: messages stay queued
        queued = (await gw.send(callback_url=CALLBACK)).json()["id"]
        short = (await gw.send(callback_url=CALLBACK, validity=30)).json()["id"]
        canceled = await gw.client.post(f"/v1/messages/{queued}/cancel", headers=gw.headers())
        assert canceled.json()["status"] == "canceled"
        clock.advance(31)  # past the validity: expired at its next turn in the dispatcher
        gw.app.gateway.dispatcher.wake()
        assert await gw.wait_final([queued, short]) == {
            queued: Status.CANCELED,
            short: Status.EXPIRED,
        }
        assert await events(gw, queued) == ["queued", "canceled"]
        assert await events(gw, short) == ["queued", "expired"]
        got = (await gw.client.get(f"/v1/messages/{short}", headers=gw.headers())).json()
        assert got["error_code"] == "expired"

    run(backend, scenario)


def test_messages_past_the_memory_limit_wait_in_the_store_and_still_go(
    backend: StoreBackend,
) -> None:
    async def main() -> None:
        clock = ManualClock()
        async with running_gateway(backend.url, clock, live_limit=5) as gw:
            gateway = gw.app.gateway
            assert gateway is not None
            due = clock.time() + 3600
            ids = [
                (await gw.send(text=f"later {i}", scheduled_at=iso(due))).json()["id"]
                for i in range(20)
            ]
            assert len(gateway.live) <= 5  # the others wait in the store only
            # one that left memory can still be canceled
            canceled = (
                await gw.client.post(f"/v1/messages/{ids[0]}/cancel", headers=gw.headers())
            ).json()
            assert canceled["status"] == "canceled"
            clock.advance(3600)
            gateway.dispatcher.wake()
            final = await gw.wait_final(ids[1:])
            assert set(final.values()) == {Status.DELIVERED}

    asyncio.run(main())
