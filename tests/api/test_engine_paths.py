"""The engine's harder paths through the whole stack, on both store backends: rates,
back-pressure, carrier throttling, lost links, permanent refusals, restarts, scheduled sending
and MO."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smsgate.domain.status import Status
from smsgate.engine.ports import PartKey
from tests.api.harness import Running, add_account, overtaking, running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

TIMEOUT = 30.0


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(
    backend: StoreBackend, scenario: Callable[[Running], Awaitable[None]], **settings: object
) -> None:
    async def main() -> None:
        async with running_gateway(backend.url, **settings) as gateway:
            await scenario(gateway)

    asyncio.run(main())


def test_account_rate_answers_429(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        gw.keys["slow"] = await add_account(gw.app, "slow", rate=5)
        responses = await asyncio.gather(*(gw.send("slow", text=f"r{i}") for i in range(20)))
        codes = [r.status_code for r in responses]
        assert codes.count(202) >= 5 and codes.count(429) >= 10
        refused = next(r for r in responses if r.status_code == 429)
        assert refused.json()["error"]["code"] == "throttled"
        assert refused.headers["retry-after"] == "1"
        # a batch larger than one second's worth goes in part: the rest is refused item by item
        gw.keys["batch"] = await add_account(gw.app, "batch", rate=5)
        items = [{"to": "+819012345678", "text": f"b{i}"} for i in range(12)]
        batch = await gw.client.post(
            "/v1/messages/batch", json={"messages": items}, headers=gw.headers("batch")
        )
        assert batch.status_code == 202
        body = batch.json()
        assert (body["accepted"], body["rejected"]) == (5, 7)
        assert {r["error"]["code"] for r in body["results"][5:]} == {"throttled"}

    run(backend, scenario)


def test_full_queue_answers_503_and_keeps_what_it_took(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        assert gw.app.simulator is not None
        await gw.app.simulator.stop()  # the carrier goes away: nothing leaves the queue
        codes = [(await gw.send(text=f"q{i}")).status_code for i in range(8)]
        assert codes[:5] == [202] * 5 and set(codes[5:]) == {503}
        listed = await gw.client.get("/v1/messages?status=queued", headers=gw.headers())
        assert len(listed.json()["messages"]) == 5

    run(backend, scenario, queue_capacity=5)


def test_no_route_is_refused_at_once(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        response = await gw.send()
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "no_route"

    run(backend, scenario, simulator=False)


def test_carrier_throttling_slows_down_but_delivers_all(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        assert gw.app.simulator is not None
        gw.app.simulator.config.max_tps = 30
        items = [{"to": "+819012345678", "text": f"t{i}"} for i in range(60)]
        sent = await gw.client.post(
            "/v1/messages/batch", json={"messages": items}, headers=gw.headers()
        )  # all at once: twice what the carrier takes in a second
        ids = [r["message"]["id"] for r in sent.json()["results"]]
        assert set((await gw.wait_final(ids, TIMEOUT)).values()) == {Status.DELIVERED}
        assert gw.app.simulator.counters["throttled"] > 0

    run(backend, scenario)


def test_lost_links_lose_nothing(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        assert gw.app.simulator is not None
        ids = []
        for i in range(200):
            ids.append((await gw.send(text=f"l{i}")).json()["id"])
            if i in (50, 120):
                gw.app.simulator.drop_connections()
        assert set((await gw.wait_final(ids, TIMEOUT)).values()) == {Status.DELIVERED}

    run(backend, scenario)


def test_permanent_refusal_fails_the_message(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        assert gw.app.simulator is not None
        gw.app.simulator.config.reject_destinations = ("8180",)
        refused = (await gw.send(to="+818012345678")).json()["id"]
        fine = (await gw.send(to="+819012345678")).json()["id"]
        assert await gw.wait_final([refused, fine]) == {
            refused: Status.FAILED,
            fine: Status.DELIVERED,
        }
        got = (await gw.client.get(f"/v1/messages/{refused}", headers=gw.headers())).json()
        assert got["error_code"] == "carrier_rejected" and "RINVDSTADR" in got["error_detail"]

    run(backend, scenario)


def test_scheduled_message_waits_then_goes(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        at = datetime.now(UTC) + timedelta(seconds=1)
        sent = (await gw.send(scheduled_at=at.isoformat())).json()
        assert sent["status"] == "scheduled"
        assert await gw.wait_final([sent["id"]]) == {sent["id"]: Status.DELIVERED}
        got = (await gw.client.get(f"/v1/messages/{sent['id']}", headers=gw.headers())).json()
        sent_at = datetime.fromisoformat(got["parts"][0]["submitted_at"].replace("Z", "+00:00"))
        assert sent_at >= at.replace(microsecond=at.microsecond // 1000 * 1000)  # shown in ms

    run(backend, scenario)


def test_restart_rebuilds_the_queue_from_the_store(backend: StoreBackend) -> None:
    db = backend.url

    async def main() -> None:
        async with running_gateway(db) as first:
            assert first.app.simulator is not None
            await first.app.simulator.stop()
            ids = [(await first.send(text=f"s{i}")).json()["id"] for i in range(30)]
            key = first.keys["a"]
        async with running_gateway(db) as second:
            second.keys["a"] = key
            assert set((await second.wait_final(ids, TIMEOUT)).values()) == {Status.DELIVERED}

    asyncio.run(main())


def test_mo_is_stored_not_taken_for_a_receipt(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        assert gw.app.simulator is not None and gw.app.gateway is not None
        # an MO whose text looks like a receipt is still an MO: esm_class decides
        response = await gw.app.simulator.send_mo(
            "smsgate", "819011112222", "81312345678", "id:1 stat:DELIVRD text:hi"
        )
        assert response.command_status == 0  # answered only after it was stored
        assert gw.app.gateway.counters.inbound == 1
        assert gw.app.gateway.counters.receipts == {}
        # not yet claimed by an account (that mapping comes with MO routing): read the table
        rows = await backend.fetch("SELECT source, text, account_id FROM inbound")
        assert rows == [("819011112222", "id:1 stat:DELIVRD text:hi", None)]

    run(backend, scenario)


def test_a_second_resp_for_a_delivered_part_changes_nothing(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        assert gw.app.gateway is not None
        message_id = (await gw.send()).json()["id"]
        assert await gw.wait_final([message_id]) == {message_id: Status.DELIVERED}
        # the part was sent again after a lost link and that copy's resp comes late
        gw.app.gateway.outcomes.accepted(PartKey(message_id, 1), "9999", "simulator")
        await gw.app.gateway.writer.drain()
        got = (await gw.client.get(f"/v1/messages/{message_id}", headers=gw.headers())).json()
        assert got["status"] == "delivered" and got["parts"][0]["status"] == "delivered"
        last = got["history"][-1]
        assert (last["status"], last["applied"], last["detail"]) == (
            "sent",
            False,
            "sent again as 9999",
        )

    run(backend, scenario)


def test_urgent_message_overtakes_a_queued_bulk_campaign(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        assert gw.app.simulator is not None
        gw.app.simulator.config.response_latency = 0.2  # 100 in flight per 200 ms at most
        bulk = [
            {"to": f"+8190{i:08d}", "text": f"bulk {i}", "priority": "bulk"} for i in range(1000)
        ]
        sent = await gw.client.post(
            "/v1/messages/batch", json={"messages": bulk}, headers=gw.headers()
        )
        bulk_ids = [r["message"]["id"] for r in sent.json()["results"]]
        urgent = (await gw.send(text="urgent", priority="urgent")).json()["id"]
        await gw.wait_final([urgent, *bulk_ids], TIMEOUT)
        overtaken_by, after = overtaking(gw.app, urgent, bulk_ids)
        assert after > 300, "the urgent message did not overtake the waiting campaign"
        assert overtaken_by <= 500

    run(backend, scenario)
