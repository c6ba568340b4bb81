"""REST -> store -> connector -> simulated carrier -> receipt -> delivered, on both backends."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smsgate.connectors.smpp import delivery_report, receipt_info
from smsgate.domain.status import Status
from smsgate.smpp.constants import MessageState
from smsgate.smpp.pdu import DeliverSm
from smsgate.smpp.tlv import Tag
from tests.api.harness import Running, add_account, running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

Scenario = Callable[[Running], Awaitable[None]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(backend: StoreBackend, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        async with running_gateway(backend.url, **settings) as gateway:
            await scenario(gateway)

    asyncio.run(main())


def test_single_message_is_delivered_with_its_history(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        response = await gw.send(text="Hello from the test", client_ref="ref-1")
        assert response.status_code == 202, response.text
        sent = response.json()
        assert sent["status"] == "queued" and sent["segments"] == 1
        assert sent["encoding"] == "gsm7" and sent["to"] == "+819012345678"
        assert await gw.wait_final([sent["id"]]) == {sent["id"]: Status.DELIVERED}
        got = (await gw.client.get(f"/v1/messages/{sent['id']}", headers=gw.headers())).json()
        assert got["status"] == "delivered" and got["client_ref"] == "ref-1"
        (part,) = got["parts"]
        assert part["status"] == "delivered" and part["upstream_id"]
        assert part["connector"] == "simulator"
        statuses = [h["status"] for h in got["history"]]
        assert statuses[0] == "queued" and "sent" in statuses and statuses[-1] == "delivered"

    run(backend, scenario)


def test_long_gsm_and_ucs2_messages_go_in_parts(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        gsm = await gw.send(text="Long message with € and {braces} " * 10)
        ucs2 = await gw.send(text="日本語のメッセージ" * 20)
        ids = [gsm.json()["id"], ucs2.json()["id"]]
        assert [gsm.json()["segments"], ucs2.json()["segments"]] == [3, 3]
        assert ucs2.json()["encoding"] == "ucs2"
        assert set((await gw.wait_final(ids)).values()) == {Status.DELIVERED}
        for message_id in ids:
            got = await gw.client.get(f"/v1/messages/{message_id}", headers=gw.headers())
            parts = got.json()["parts"]
            assert [p["seq"] for p in parts] == [1, 2, 3]
            assert len({p["upstream_id"] for p in parts}) == 3

    run(backend, scenario)


def test_batch(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        messages = [{"to": f"+8190{i:08d}", "text": f"batch {i}"} for i in range(50)]
        messages.append({"to": "not a number", "text": "x"})
        response = await gw.client.post(
            "/v1/messages/batch", json={"messages": messages}, headers=gw.headers()
        )
        assert response.status_code == 202, response.text
        body = response.json()
        assert (body["accepted"], body["rejected"]) == (50, 1)
        assert body["results"][50]["error"]["code"] == "invalid_destination"
        ids = [item["message"]["id"] for item in body["results"][:50]]
        assert set((await gw.wait_final(ids)).values()) == {Status.DELIVERED}
        listed = await gw.client.get("/v1/messages?limit=20", headers=gw.headers())
        page = listed.json()
        assert len(page["messages"]) == 20 and page["next_cursor"]
        bad = await gw.client.get("/v1/messages?cursor=!!", headers=gw.headers())
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"

    run(backend, scenario)


def test_binary_messages_take_hex(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        short = await gw.send(text="00 01 FE FF", encoding="binary")
        long = await gw.send(text=bytes(range(200)).hex(), encoding="binary")
        assert short.status_code == 202, short.text
        assert (short.json()["text"], short.json()["segments"]) == ("0001feff", 1)
        assert (long.json()["encoding"], long.json()["segments"]) == ("binary", 2)
        ids = [short.json()["id"], long.json()["id"]]
        assert set((await gw.wait_final(ids)).values()) == {Status.DELIVERED}

    run(backend, scenario)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_errors_and_isolation(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        mine = (await gw.send()).json()["id"]
        other = await gw.client.get(f"/v1/messages/{mine}", headers=gw.headers("b"))
        assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
        wrong = await gw.client.post(
            "/v1/messages",
            json={"to": "+819012345678", "text": "x"},
            headers={"Authorization": "Bearer nope"},
        )
        assert wrong.status_code == 401
        missing = await gw.client.post("/v1/messages", json={"to": "+1"})
        assert missing.status_code == 401
        # an account's address allow-list: these requests come from 127.0.0.1
        outside = await add_account(gw.app, "out", ip_allow="192.0.2.0/24")
        refused = await gw.client.get("/v1/messages", headers=bearer(outside))
        assert refused.status_code == 403 and "127.0.0.1" in refused.json()["error"]["detail"]
        inside = await add_account(gw.app, "in", ip_allow="127.0.0.1 192.0.2.0/24")
        assert (await gw.client.get("/v1/messages", headers=bearer(inside))).status_code == 200
        cases = [
            ({"to": "+819012345678", "text": "x", "colour": "red"}, 400, "unknown_field"),
            ({"to": "+819012345678"}, 400, "invalid_request"),
            ({"to": "hello", "text": "x"}, 422, "invalid_destination"),
            ({"to": "+819012345678", "text": "x" * 2000}, 422, "message_too_long"),
            ({"to": "+819012345678", "text": "日本", "encoding": "gsm7"}, 422, "invalid_text"),
            ({"to": "+819012345678", "text": "x", "validity": 999999}, 422, "invalid_validity"),
            ({"to": "+819012345678", "text": "0g", "encoding": "binary"}, 422, "invalid_text"),
        ]
        for body, status, code in cases:
            response = await gw.client.post("/v1/messages", json=body, headers=gw.headers())
            assert (response.status_code, response.json()["error"]["code"]) == (status, code)
        huge = await gw.client.post(
            "/v1/messages", content=b"{" + b" " * 100_000 + b"}", headers=gw.headers()
        )
        assert huge.status_code == 413
        garbage = await gw.client.post("/v1/messages", content=b"{not json", headers=gw.headers())
        assert garbage.status_code == 400

    run(backend, scenario)


def test_receipt_overtaking_its_submit_resp(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        ids = [(await gw.send(text=f"race {i}")).json()["id"] for i in range(20)]
        assert set((await gw.wait_final(ids)).values()) == {Status.DELIVERED}

    run(backend, scenario, simulator_receipt_delay=0.0, simulator_latency=0.05)


def test_late_and_repeated_receipts_are_recorded_not_applied(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        message_id = (await gw.send(text="once delivered")).json()["id"]
        assert await gw.wait_final([message_id]) == {message_id: Status.DELIVERED}
        url = f"/v1/messages/{message_id}"
        (part,) = (await gw.client.get(url, headers=gw.headers())).json()["parts"]
        gateway = gw.app.gateway
        assert gateway is not None
        for state in (MessageState.ENROUTE, MessageState.DELIVERED):
            tlvs = {Tag.RECEIPTED_MESSAGE_ID: part["upstream_id"], Tag.MESSAGE_STATE: state}
            report = delivery_report(receipt_info(DeliverSm(esm_class=0x04, tlvs=tlvs)))
            await gateway.outcomes.receipt(part["connector"], report)
        got = (await gw.client.get(url, headers=gw.headers())).json()
        assert got["status"] == "delivered" and got["parts"][0]["status"] == "delivered"
        late = [(h["status"], h["applied"]) for h in got["history"]][-2:]
        assert late == [("sent", False), ("delivered", False)]  # ENROUTE reads as sent
        assert gateway.counters.receipts_backwards == 1  # the repeat is no step backwards

    run(backend, scenario)


def test_operations_endpoints(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        assert (await gw.client.get("/healthz")).json() == {"status": "ready"}
        document = (await gw.client.get("/openapi.json")).json()
        assert "/v1/messages" in document["paths"]
        assert "SendMessage" in document["components"]["schemas"]
        assert "SwaggerUIBundle" in (await gw.client.get("/docs")).text
        await gw.wait_final([(await gw.send()).json()["id"]])
        metrics = (await gw.client.get("/metrics")).text
        assert "smsgate_messages_accepted_total 1" in metrics
        assert 'smsgate_connector_binds_up{connector="simulator"} 1' in metrics
        assert 'smsgate_receipts_total{state="delivered"} 1' in metrics

    run(backend, scenario)


def test_client_ref_is_sent_once(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        first = await gw.send(client_ref="order-42")
        assert first.status_code == 202
        again = await gw.send(client_ref="order-42")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "duplicate"
        assert first.json()["id"] in again.json()["error"]["detail"]
        # another account may use the same reference
        assert (await gw.send("b", client_ref="order-42")).status_code == 202
        # concurrent twins: exactly one is accepted, and other messages in flight are unharmed
        replies = await asyncio.gather(
            *(gw.send(client_ref="twin") for _ in range(5)),
            *(gw.send(text=f"bystander {i}") for i in range(20)),
        )
        twins = sorted(r.status_code for r in replies[:5])
        assert twins == [202, 409, 409, 409, 409]
        assert {r.status_code for r in replies[5:]} == {202}

    run(backend, scenario)
