"""SMSC.ru's channels through the HTTP APIs, end to end to their simulated providers on both
backends: the native API's `channel` (and a prefixed text), SMSC.ru's send.php flags, an HLR
lookup's result as JSON, Viber falling back to SMS, and a channel no connector carries refused."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from smsgate.domain.status import Status
from tests.api.dialects import test_smsc_ru as smsc
from tests.api.harness import Running, running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

Scenario = Callable[[Running], Awaitable[None]]
PHONE = "+819012345678"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(backend: StoreBackend, scenario: Scenario, channels: bool = True) -> None:
    async def main() -> None:
        settings: dict[str, Any] = {"simulator_channels": channels}
        async with running_gateway(backend.url, **settings) as gw:
            await asyncio.wait_for(scenario(gw), 60)

    asyncio.run(main())


async def until(gw: Running, message_id: str, *statuses: str) -> dict[str, Any]:
    while True:
        got = await gw.client.get(f"/v1/messages/{message_id}", headers=gw.headers())
        view: dict[str, Any] = got.json()
        if view["status"] in statuses:
            return view
        await asyncio.sleep(0.05)


async def send(gw: Running, **body: Any) -> dict[str, Any]:
    body.setdefault("to", PHONE)
    response = await gw.client.post("/v1/messages", json=body, headers=gw.headers())
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_native_api_sends_by_every_channel(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        simulators = gw.app.channel_simulators
        assert simulators is not None
        providers = simulators.providers
        providers.config = replace(providers.config, no_answer_share=0.0)
        mail = await send(
            gw, to="Ann@Example.JP", channel="email", text="Invoice ready", subject="Invoice 42"
        )
        assert (mail["to"], mail["channel"]) == ("Ann@example.jp", "email")
        assert mail["subject"] == "Invoice 42"
        call = await send(gw, channel="voice", text="Your code is 1 2 3 4", voice="w2")
        code = await send(gw, channel="telegram", text="482913")
        prefixed = await send(gw, text="__VIBER__: Sale today\n~~~\ncampaign 7")
        assert (prefixed["channel"], prefixed["text"]) == ("viber", "Sale today")
        assert prefixed["comment"] == "campaign 7"
        lookup = await send(gw, channel="hlr")
        for sent in (mail, call, code, prefixed):
            await until(gw, sent["id"], "delivered", "displayed")
        found = await until(gw, lookup["id"], "delivered")
        assert found["result"]["mcc"] == "440" and found["result"]["imsi"].startswith("440")
        (relayed,) = simulators.relay.mailbox("Ann@example.jp")
        assert relayed.message["Subject"] == "Invoice 42"
        received = {r.channel: r.fields for r in providers.received(PHONE)}
        assert received["voice"].get("voice") == "w2"
        assert received["telegram"].get("code") == "482913"
        assert gw.app.simulator is not None and not gw.app.simulator.messages  # no SMS

    run(backend, scenario)


def test_viber_then_sms_when_viber_fails(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        # the simulated provider takes messages to +7901... and reports them failed
        sent = await send(gw, to="+79011234567", channel=["viber", "sms"], text="Your table")
        assert (sent["channel"], sent["fallback"]) == ("viber", ["sms"])
        view = await until(gw, sent["id"], "delivered")
        assert (view["channel"], view["fallback"]) == ("sms", [])
        assert "fell_back" in [h["status"] for h in view["history"]]
        assert gw.app.simulator is not None and len(gw.app.simulator.messages) == 1

    run(backend, scenario)


def test_viber_not_delivered_in_its_time_then_sms(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        # a handset offline (+7903...): the provider expires the message at the end of its time
        # on Viber (sent with it), then it goes by SMS: never both
        sent = await send(
            gw, to="+79031234567", channel=["viber", "sms"], text="Your table", channel_ttl=1
        )
        view = await until(gw, sent["id"], "delivered")
        assert view["channel"] == "sms"
        fell = [h for h in view["history"] if h["status"] == "fell_back"]
        assert fell and "expired" in fell[0]["detail"].lower()
        assert gw.app.channel_simulators is not None
        assert gw.app.channel_simulators.providers.received("+79031234567") == []

    run(backend, scenario)


def test_smsc_ru_send_php_flags(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: Any, account: Any) -> None:
        mail = await smsc.call(
            gw, "send", phones="ann@example.jp", mes="Hello", mail="1", subj="Greetings", fmt="3"
        )
        lookup = await smsc.call(gw, "send", phones="79991234567", hlr="1", fmt="3")
        viber = await smsc.call(gw, "send", phones="79991234567", mes="Hi", viber="1", fmt="3")
        for answer in (mail, lookup, viber):
            assert answer.status_code == 200 and "error" not in answer.json(), answer.text
        assert gw.app.channel_simulators is not None
        relay = gw.app.channel_simulators.relay
        await relay.wait_until(lambda: bool(relay.mailbox("ann@example.jp")), 10)
        (relayed,) = relay.mailbox("ann@example.jp")
        assert relayed.message["Subject"] == "Greetings"
        counts = await gw.client.get("/v1/messages/count", headers=gw.headers("a"))
        assert counts.status_code == 200

    smsc.run(backend, scenario, simulator_channels=True)


def test_a_channel_no_connector_carries_is_refused(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        for body in (
            {"channel": "viber", "text": "Hi"},
            {"text": "__CALL__: Hi\nvoice:m"},
            {"channel": "hlr"},
        ):
            answer = await gw.client.post(
                "/v1/messages", json={"to": PHONE, **body}, headers=gw.headers()
            )
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"]["code"] == "channel_unavailable"
        # a ping needs only the SMS connectors
        ping = await send(gw, channel="ping")
        assert ping["channel"] == "ping"
        await until(gw, ping["id"], Status.DELIVERED.value)

    run(backend, scenario, channels=False)
