"""RCS through the native API, end to end on both backends: the built-in RCS platform
simulator, the RCS connector over HTTP both ways, the engine's fallback to the simulated SMS
carrier. Capable, not capable, an app uninstalled (revoked when its time ran out, then SMS),
a revoke refused as the message was delivered meanwhile (no SMS), a revoke whose SMS the
balance does not cover (the customer's callback says revoked), RCS only refused by the
platform."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from smsgate.bench.receiver import CallbackReceiver
from smsgate.domain.account import hash_api_key
from smsgate.domain.pricing import to_micros
from smsgate.simulator.rcs import Reach
from tests.api.harness import Running, add_account, running_gateway
from tests.api.rcs_platform import reports_lost
from tests.store.backends import BACKENDS, StoreBackend, store_backend

Scenario = Callable[[Running], Awaitable[None]]
CARD = {
    "richcardMessage": {
        "message": {
            "generalPurposeCard": {
                "layout": {"cardOrientation": "VERTICAL"},
                "content": {
                    "title": "Your parcel",
                    "description": "Arrives today between 14:00 and 16:00",
                    "suggestions": [
                        {"reply": {"displayText": "OK", "postback": {"data": "parcel-ok"}}}
                    ],
                },
            }
        }
    }
}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(backend: StoreBackend, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        settings.update(channel_timeout_interval=0.05, simulator_channels=True)
        async with running_gateway(backend.url, **settings) as gateway:
            app = gateway.app
            assert app.store is not None
            gateway.keys["r"] = await add_account(app, "r", bot_id="bot-r")
            await asyncio.wait_for(scenario(gateway), 60)

    asyncio.run(main())


def number(gw: Running, reach: Reach) -> str:
    """A Japanese mobile number the simulated platform treats as `reach`."""
    simulator = gw.app.rcs_simulator
    assert simulator is not None
    prefix = {Reach.NOT_CAPABLE: "+8170", Reach.UNINSTALLED: "+81809"}.get(reach, "+8190")
    for n in range(1000):
        candidate = f"{prefix}{n:0{13 - len(prefix)}d}"
        if simulator.reach(candidate) is reach:
            return candidate
    raise AssertionError(f"no {reach} number")


async def send(gw: Running, **body: Any) -> dict[str, Any]:
    body.setdefault("rcs", CARD)
    body.setdefault("text", "Your parcel arrives today, 14:00-16:00")
    response = await gw.client.post("/v1/messages", json=body, headers=gw.headers("r"))
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


async def until(gw: Running, message_id: str, status: str) -> dict[str, Any]:
    while True:
        got = await gw.client.get(f"/v1/messages/{message_id}", headers=gw.headers("r"))
        view: dict[str, Any] = got.json()
        if view["status"] == status:
            return view
        await asyncio.sleep(0.05)


def test_a_capable_number_gets_the_card_and_reads_it(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        to = number(gw, Reach.CAPABLE)
        sent = await send(gw, to=to, channel=["rcs", "sms"])
        assert (sent["channel"], sent["fallback"]) == ("rcs", ["sms"])
        assert sent["rcs"] == CARD and sent["segments"] == 1
        view = await until(gw, sent["id"], "displayed")
        assert view["channel"] == "rcs"
        assert [s["status"] for s in view["history"]][-3:] == ["sent", "delivered", "displayed"]
        assert any(h["detail"] == "capability: capable" for h in view["history"])
        assert gw.app.rcs_simulator is not None and gw.app.simulator is not None
        (received,) = gw.app.rcs_simulator.handset(to)
        assert {k: v for k, v in received.content.items() if k != "msgId"} == CARD
        assert not gw.app.simulator.messages  # no SMS

    run(backend, scenario)


def test_a_number_without_rcs_gets_sms_at_once(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        to = number(gw, Reach.NOT_CAPABLE)
        sent = await send(gw, to=to, channel=["rcs", "sms"])
        assert (sent["channel"], sent["fallback"]) == ("sms", [])
        view = await until(gw, sent["id"], "delivered")
        assert view["encoding"] == "gsm7" and view["segments"] == 1
        assert gw.app.rcs_simulator is not None
        assert gw.app.rcs_simulator.handset(to) == []

    run(backend, scenario)


def test_an_uninstalled_app_is_revoked_then_sent_by_sms(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        to = number(gw, Reach.UNINSTALLED)
        sent = await send(gw, to=to, channel=["rcs", "sms"], channel_ttl=1)
        assert sent["channel"] == "rcs"
        view = await until(gw, sent["id"], "delivered")
        assert (view["channel"], view["fallback"]) == ("sms", [])
        statuses = [h["status"] for h in view["history"]]
        assert statuses.index("revoked") < statuses.index("fell_back")
        simulator = gw.app.rcs_simulator
        assert simulator is not None and simulator.counters["revoked"] == 1
        assert simulator.handset(to) == []  # the app is gone: RCS never reached it
        assert gw.app.simulator is not None and len(gw.app.simulator.messages) == 1

    run(backend, scenario)


def test_rcs_only_to_a_number_without_rcs_fails(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        to = number(gw, Reach.NOT_CAPABLE)
        sent = await send(gw, to=to, channel="rcs")
        view = await until(gw, sent["id"], "failed")
        assert view["error_code"] == "rcs_not_capable"

    run(backend, scenario)


def test_a_revoke_refused_as_delivered_sends_no_sms(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        to = number(gw, Reach.CAPABLE)
        assert gw.app.rcs_simulator is not None and gw.app.simulator is not None
        # the platform's reports are lost for a while: the gateway still sees the message
        # sent when its time on RCS runs out, and the revoke finds it delivered
        with reports_lost(gw.app.rcs_simulator):
            sent = await send(gw, to=to, channel=["rcs", "sms"], channel_ttl=1)
            view = await until(gw, sent["id"], "delivered")
        assert gw.app.rcs_simulator.counters["revoke_refused"] == 1
        assert gw.app.rcs_simulator.counters["revoked"] == 0
        assert (view["channel"], view["fallback"]) == ("rcs", ["sms"])
        assert "receipt delivered (revoke refused)" in [h["detail"] for h in view["history"]]
        assert len(gw.app.rcs_simulator.handset(to)) == 1
        assert not gw.app.simulator.messages  # no SMS

    run(backend, scenario)


# RCS costs less than the SMS it would fall back to
PRICES = [
    {"per_segment": "0.01", "currency": "EUR", "route": "rcs"},
    {"per_segment": "0.05", "currency": "EUR"},
]


def test_a_revoke_the_balance_cannot_follow_by_sms_is_called_back_revoked(
    backend: StoreBackend,
) -> None:
    receiver = CallbackReceiver()

    async def scenario(gw: Running) -> None:
        app = gw.app
        assert app.store is not None and app.gateway is not None
        account = await app.store.account_by_api_key_hash(hash_api_key(gw.keys["r"]))
        assert account is not None
        # prepaid: the RCS price and not a cent more
        await app.store.set_balance(account.id, to_micros(Decimal("0.01")), 0.0)
        await app.gateway.reload_balances()
        base = await receiver.start()
        try:
            url = f"{base}/status"
            to = number(gw, Reach.UNINSTALLED)
            sent = await send(gw, to=to, channel=["rcs", "sms"], channel_ttl=1, callback_url=url)
            assert (sent["channel"], sent["price"]) == ("rcs", "0.01")
            view = await until(gw, sent["id"], "revoked")
            assert view["error_code"] == "insufficient_balance"
            async with asyncio.timeout(10):
                while not any(b"revoked" in r.body for r in receiver.received):
                    receiver.arrived.clear()
                    await receiver.arrived.wait()
        finally:
            await receiver.stop()
        bodies = [orjson.loads(r.body) for r in receiver.received]
        assert [b["status"] for b in bodies] == ["queued", "sent", "revoked"]
        revoked = bodies[-1]
        assert revoked == {
            **revoked,
            "id": sent["id"],
            "to": to,
            "status": "revoked",
            "channel": "rcs",
            "error_code": "insufficient_balance",
            "price": "0.01",
            "price_unit": "EUR",
        }
        assert revoked["error_message"] and revoked["dlrDate"]
        assert app.simulator is not None and not app.simulator.messages  # no SMS
        balance = await app.store.balance(account.id)
        assert balance is not None and balance[0] == 0

    run(backend, scenario, prices=PRICES)
