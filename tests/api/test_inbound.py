"""MO through the whole gateway, on both backends: the simulated carrier's deliver_sm -> the
engine (reassembly, routing by number and keyword, opt-outs) -> a signed webhook on loopback
and `GET /v1/inbound`."""

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.signing import verify
from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.inbound import InboundNumber
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from smsgate.simulator.smsc import mo_parts
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import DeliverSm
from smsgate.smpp.tlv import Tag
from smsgate.store import Store
from tests.api.harness import Running, running_gateway
from tests.api.smpp_server.customers import Customer, add_smpp_account, smpp_port, submit
from tests.store.backends import BACKENDS, StoreBackend, store_backend

SIM = "smsgate"  # the system_id the gateway binds to the simulator with
NUMBER = "81312345678"  # the account's two-way number
HANDSET = "819011112222"
SECRET = "whsec-mo"
# 177 UTF-16 units in three parts of 67: the emoji's surrogate pair is cut by the second cut
LONG_UCS2 = "あ" * 133 + "😀" + "返信ありがとう" * 6


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


async def account(gw: Running, name: str) -> Account:
    assert gw.app.store is not None
    found = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys[name]))
    assert found is not None
    return found


async def own(
    gw: Running, name: str, number: str = NUMBER, keyword: str = "", **settings: str
) -> Account:
    """Give account `name` the number (or a keyword on it) and the settings."""
    store = gw.app.store
    assert store is not None
    owner = replace(await account(gw, name), **settings)
    await store.update_account(owner)
    await store.add_inbound_number(InboundNumber(number, keyword, owner.id, 0.0))
    return owner


async def deliver_all(gw: Running, parts: list[DeliverSm]) -> None:
    assert gw.app.simulator is not None
    for part in parts:
        response = await gw.app.simulator.send_deliver(SIM, part)
        assert response.command_status == 0  # answered once stored


def store_of(gw: Running) -> Store:
    assert gw.app.store is not None
    return gw.app.store


def test_mo_reaches_the_webhook_signed(backend: StoreBackend) -> None:
    async def main() -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            async with running_gateway(backend.url) as gw:
                url = f"{base}/mo"
                await own(gw, "a", inbound_url=url, webhook_secret=SECRET)
                assert gw.app.simulator is not None
                await gw.app.simulator.send_mo(SIM, HANDSET, NUMBER, "Yes, 3pm works")
                await receiver.wait_for(1, 20)
        finally:
            await receiver.stop()
        (request,) = receiver.received
        assert verify(SECRET, url, request.headers["x-smsgate-signature"], body=request.body)
        payload = orjson.loads(request.body)
        assert payload["event"] == "inbound"
        assert (payload["from"], payload["to"], payload["text"]) == (
            HANDSET,
            NUMBER,
            "Yes, 3pm works",
        )
        assert payload["complete"] is True and payload["segments"] == 1

    asyncio.run(main())


def test_long_ucs2_mo_is_reassembled_out_of_order_and_duplicates_ignored(
    backend: StoreBackend,
) -> None:
    async def main() -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            async with running_gateway(backend.url) as gw:
                # no MO webhook: the account's default callback URL takes MO too
                await own(gw, "a", callback_url=f"{base}/mo")
                body = LONG_UCS2.encode("utf-16-be")
                udh = mo_parts(HANDSET, NUMBER, body, 8, reference=42)
                sar = mo_parts(HANDSET, NUMBER, body, 8, reference=43, sar=True)
                assert len(udh) == 3 and len(sar) == 3
                # a surrogate pair is cut between two parts: it decodes once they are joined
                await deliver_all(gw, [udh[2], udh[0], udh[0], sar[1], udh[1], sar[0], sar[2]])
                await deliver_all(gw, [udh[1]])  # a late copy of a delivered part
                await receiver.wait_for(2, 20)
                assert await store_of(gw).inbound_segments() == []
        finally:
            await receiver.stop()
        payloads = [orjson.loads(r.body) for r in receiver.received]
        assert [(p["text"], p["segments"], p["complete"]) for p in payloads] == [
            (LONG_UCS2, 3, True)
        ] * 2

    asyncio.run(main())


def test_a_message_whose_parts_stop_coming_is_stored_partial(backend: StoreBackend) -> None:
    async def main() -> None:
        clock = ManualClock()
        async with running_gateway(backend.url, clock, mo_reassembly_timeout=60.0) as gw:
            owner = await own(gw, "a")
            parts = mo_parts(HANDSET, NUMBER, b"A" * 402, 0, reference=9)
            await deliver_all(gw, [parts[0], parts[2]])
            assert gw.app.gateway is not None
            desk = gw.app.gateway.inbound_desk
            assert await desk.flush_expired() == 0  # not yet
            assert len(await store_of(gw).inbound_segments()) == 2
            clock.advance(60.0)
            assert await desk.flush_expired() == 1
            (message,), _ = await store_of(gw).list_inbound(owner.id)
            assert not message.complete and message.segments == 3
            assert message.text == "A" * 268  # parts 1 and 3 of 134 characters each
            assert await store_of(gw).inbound_segments() == []

    asyncio.run(main())


def test_parts_stored_before_a_restart_complete_after_it(backend: StoreBackend) -> None:
    async def main() -> None:
        body = LONG_UCS2.encode("utf-16-be")
        parts = mo_parts(HANDSET, NUMBER, body, 8, reference=5)
        done = mo_parts(HANDSET, NUMBER, body, 8, reference=6)
        async with running_gateway(backend.url) as first:
            await own(first, "a")
            await deliver_all(first, [*parts[:2], *done])
        async with running_gateway(backend.url) as second:
            # the carrier resends a part the first run stored, and the last part of the
            # message it completed (its resp was lost in the restart)
            await deliver_all(second, [parts[1], parts[2], done[2]])
            # the same text sent again as a new message is a message of its own
            await deliver_all(second, mo_parts(HANDSET, NUMBER, body, 8, reference=7))
            assert second.app.gateway is not None
            assert len(second.app.gateway.inbound_desk.reassembler) == 0  # nothing left open
            # the number's owner is the account the first run made
            ((_, owner),) = await store_of(second).inbound_owners(NUMBER)
            stored, _ = await store_of(second).list_inbound(owner.id)
            assert [(m.reference, m.text, m.complete) for m in stored] == [
                (7, LONG_UCS2, True),
                (5, LONG_UCS2, True),
                (6, LONG_UCS2, True),
            ]

    asyncio.run(main())


def test_keywords_route_a_shared_number_and_unmatched_mo_is_kept(backend: StoreBackend) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            await own(gw, "a")
            await own(gw, "b", keyword="SALE")
            assert gw.app.simulator is not None
            for text, number in [("sale 20% off?", NUMBER), ("hello", NUMBER), ("hi", "8100")]:
                await gw.app.simulator.send_mo(SIM, HANDSET, number, text)
            seen = {}
            for name in "ab":
                response = await gw.client.get("/v1/inbound", headers=gw.headers(name))
                seen[name] = [item["text"] for item in response.json()["inbound"]]
            assert seen == {"a": ["hello"], "b": ["sale 20% off?"]}
            unclaimed, _ = await store_of(gw).list_unclaimed_inbound()
            assert [(m.destination, m.text) for m in unclaimed] == [("8100", "hi")]
            metrics = (await gw.client.get("/metrics")).text
            assert "smsgate_inbound_unclaimed_total 1\n" in metrics
            assert 'smsgate_inbound_messages_total{kind="complete"} 3\n' in metrics

    asyncio.run(main())


def test_a_number_given_while_running_routes_the_next_mo(backend: StoreBackend) -> None:
    """A number's owners are kept in memory; a number given from elsewhere (the CLI writes
    the store) reaches them through the configuration watch, not a read per MO."""

    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            assert gw.app.simulator is not None and gw.app.gateway is not None
            watch = gw.app.gateway.config_watch
            await gw.app.simulator.send_mo(SIM, HANDSET, NUMBER, "before")
            await own(gw, "a")  # the number's owners (none) are kept from the MO before
            assert await watch.run_once() >= 1  # inbound_numbers changed
            await gw.app.simulator.send_mo(SIM, HANDSET, NUMBER, "after")
            unclaimed, _ = await store_of(gw).list_unclaimed_inbound()
            assert [m.text for m in unclaimed] == ["before"]
            response = await gw.client.get("/v1/inbound", headers=gw.headers("a"))
            assert [item["text"] for item in response.json()["inbound"]] == ["after"]
            await store_of(gw).remove_inbound_number(NUMBER)
            assert await watch.run_once() >= 1
            await gw.app.simulator.send_mo(SIM, HANDSET, NUMBER, "given back")
            unclaimed, _ = await store_of(gw).list_unclaimed_inbound()
            assert "given back" in {m.text for m in unclaimed}

    asyncio.run(main())


def test_stop_refuses_sends_until_start(backend: StoreBackend) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            await own(gw, "a", opt_in_keywords="START RESUME")
            assert gw.app.simulator is not None
            to = "+" + HANDSET
            assert (await gw.send(to=to)).status_code == 202
            await gw.app.simulator.send_mo(SIM, HANDSET, NUMBER, " stop ")
            refused = await gw.send(to=to)
            assert refused.status_code == 422
            assert refused.json()["error"]["code"] == "opted_out"
            assert (await gw.send("b", to=to)).status_code == 202  # other accounts still send
            await gw.app.simulator.send_mo(SIM, HANDSET, NUMBER, "Resume")
            assert (await gw.send(to=to)).status_code == 202
            assert await store_of(gw).opt_outs() == []

    asyncio.run(main())


def test_inbound_pages_filters_and_isolation(backend: StoreBackend) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            await own(gw, "a")
            await own(gw, "b", number="81399990000")
            assert gw.app.simulator is not None
            for i in range(5):
                await gw.app.simulator.send_mo(SIM, f"81900000000{i}", NUMBER, f"m{i}")
            await gw.app.simulator.send_mo(SIM, HANDSET, "81399990000", "for b")
            texts: list[str] = []
            cursor = None
            while True:
                params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
                page = (
                    await gw.client.get("/v1/inbound", params=params, headers=gw.headers("a"))
                ).json()
                assert len(page["inbound"]) <= 2
                texts += [item["text"] for item in page["inbound"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert texts == ["m4", "m3", "m2", "m1", "m0"]
            one = await gw.client.get(
                "/v1/inbound", params={"from": "+819000000003"}, headers=gw.headers("a")
            )
            assert [item["text"] for item in one.json()["inbound"]] == ["m3"]
            for after, count in (("2000-01-01T00:00:00Z", 5), ("2999-01-01T00:00:00Z", 0)):
                timed = await gw.client.get(
                    "/v1/inbound", params={"received_after": after}, headers=gw.headers("a")
                )
                assert len(timed.json()["inbound"]) == count
            mine = await gw.client.get("/v1/inbound", headers=gw.headers("b"))
            assert [item["text"] for item in mine.json()["inbound"]] == ["for b"]
            bad = await gw.client.get(
                "/v1/inbound", params={"cursor": "!!"}, headers=gw.headers("a")
            )
            assert bad.status_code == 400
            bad = await gw.client.get(
                "/v1/inbound", params={"received_before": "yesterday"}, headers=gw.headers("a")
            )
            assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"

    asyncio.run(main())


def test_mo_reaches_an_smpp_bind_and_stop_refuses_its_submits(backend: StoreBackend) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            carol = await add_smpp_account(gw.app, "carol")
            await store_of(gw).add_inbound_number(InboundNumber(NUMBER, "", carol.id, 0.0))
            customer = Customer()
            connection = await customer.bind(smpp_port(gw.app), "carol")
            body = LONG_UCS2.encode("utf-16-be")
            await deliver_all(gw, mo_parts(HANDSET, NUMBER, body, 8, reference=77))
            (mo,) = await customer.wait_delivered(1)
            assert mo.data_coding == 8 and mo.source_addr == HANDSET
            assert mo.tlvs[Tag.MESSAGE_PAYLOAD].decode("utf-16-be") == LONG_UCS2
            assert gw.app.simulator is not None
            await gw.app.simulator.send_mo(SIM, HANDSET, NUMBER, "STOP")
            await customer.wait_delivered(2)
            refused = await connection.request(submit(to=HANDSET))
            assert refused.command_status == CommandStatus.ESME_RX_P_APPN

    asyncio.run(main())


async def refuse_inserts(backend: StoreBackend, table: str) -> None:
    """Make the database refuse rows of `table` (a disk or constraint trouble), for real."""
    if backend.name == "sqlite":
        await backend.fetch(
            f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}"
            " BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
        )
        return
    await backend.fetch(
        "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$"
    )
    await backend.fetch(
        f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION refuse()"
    )


async def allow_inserts(backend: StoreBackend, table: str) -> None:
    on = "" if backend.name == "sqlite" else f" ON {table}"
    await backend.fetch(f"DROP TRIGGER refuse_{table}{on}")


def test_a_part_the_store_refused_is_taken_when_the_carrier_resends_it(
    backend: StoreBackend,
) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            owner = await own(gw, "a")
            assert gw.app.simulator is not None
            first, second, third = mo_parts(HANDSET, NUMBER, b"B" * 402, 0, reference=3)
            await refuse_inserts(backend, "inbound_segments")
            refused = await gw.app.simulator.send_deliver(SIM, first)
            assert refused.command_status == CommandStatus.ESME_RX_T_APPN
            await allow_inserts(backend, "inbound_segments")
            await deliver_all(gw, [first, second])  # the carrier delivers it again
            await refuse_inserts(backend, "inbound")
            refused = await gw.app.simulator.send_deliver(SIM, third)
            assert refused.command_status == CommandStatus.ESME_RX_T_APPN
            await allow_inserts(backend, "inbound")
            await deliver_all(gw, [third])
            (message,), _ = await store_of(gw).list_inbound(owner.id)
            assert (message.text, message.complete) == ("B" * 402, True)
            assert await store_of(gw).inbound_segments() == []

    asyncio.run(main())


def test_a_scheduled_message_to_a_number_that_opted_out_since_is_not_sent(
    backend: StoreBackend,
) -> None:
    async def main() -> None:
        clock = ManualClock()
        async with running_gateway(backend.url, clock) as gw:
            await own(gw, "a")
            assert gw.app.simulator is not None and gw.app.gateway is not None
            due = datetime.fromtimestamp(clock.time() + 600, UTC).isoformat()
            sent = (await gw.send(to="+" + HANDSET, scheduled_at=due)).json()
            assert sent["status"] == "scheduled"
            await gw.app.simulator.send_mo(SIM, HANDSET, NUMBER, "STOP")
            clock.advance(600)
            gw.app.gateway.dispatcher.wake()
            assert await gw.wait_final([sent["id"]]) == {sent["id"]: Status.REJECTED}
            got = await gw.client.get(f"/v1/messages/{sent['id']}", headers=gw.headers())
            assert got.json()["error_code"] == "opted_out"

    asyncio.run(main())


def test_an_account_manages_its_opt_out_list(backend: StoreBackend) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            number = "+819055556666"
            add = await gw.client.post(
                "/v1/opt-outs", json={"number": number}, headers=gw.headers("a")
            )
            assert add.status_code == 201 and add.json() == {"number": number}
            assert (await gw.send(to=number)).json()["error"]["code"] == "opted_out"
            listed = await gw.client.get("/v1/opt-outs", headers=gw.headers("a"))
            assert [o["number"] for o in listed.json()["opt_outs"]] == [number]
            others = await gw.client.get("/v1/opt-outs", headers=gw.headers("b"))
            assert others.json() == {"opt_outs": []}
            path = f"/v1/opt-outs/{number}"
            assert (await gw.client.delete(path, headers=gw.headers("a"))).status_code == 204
            assert (await gw.send(to=number)).status_code == 202
            assert (await gw.client.delete(path, headers=gw.headers("a"))).status_code == 404
            bad = await gw.client.post(
                "/v1/opt-outs", json={"number": "12"}, headers=gw.headers("a")
            )
            assert bad.json()["error"]["code"] == "invalid_destination"
            extra = await gw.client.post(
                "/v1/opt-outs", json={"number": number, "x": 1}, headers=gw.headers("a")
            )
            assert extra.status_code == 400

    asyncio.run(main())
