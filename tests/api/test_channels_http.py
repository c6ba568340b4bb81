"""SMSC.ru's channels through the HTTP APIs, end to end to their simulated providers on both
backends: every channel by the native API's `channel`, by its prefixed text and by send.php's
flags, each reaching its provider (the SMTP relay, the provider of calls, Viber, Telegram, bots
and social networks, the HLR provider, the SMS carrier for a ping) with its content and ending
in its status; a ping to a handset switched off; the per-channel metric; Viber falling back to
SMS; and a channel no connector carries refused. One gateway per backend serves the module."""

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from itertools import count
from typing import Any, Final

import orjson
import pytest

from smsgate.domain.account import hash_api_key, hash_password
from smsgate.domain.status import Status
from smsgate.simulator.providers import CHANNELS as PROVIDER_CHANNELS
from smsgate.simulator.smsc import ABSENT_SUBSCRIBER
from tests.api.dialects import test_smsc_ru as smsc
from tests.api.harness import Running, running_gateway
from tests.store.backends import BACKENDS, store_backend

Scenario = Callable[[Running], Awaitable[None]]
PHONE = "+819012345678"
ABSENT: Final = "8190999"  # the carrier's handsets switched off (SmscSimulator.absent_destinations)
_NOT_DELIVERED: Final = frozenset(
    {Status.FAILED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED, Status.CANCELED}
)
_numbers = count(1)


@dataclass(frozen=True)
class Case:
    """One channel as each HTTP API asks for it, and what its provider must get."""

    channel: str
    native: dict[str, str]  # the native API's fields beside `to` and `channel`
    prefixed: str  # the text that asks for the channel (SMSC.ru's document)
    flags: dict[str, str]  # send.php's parameters beside `phones`
    status: Status  # where it ends
    got: dict[str, str] = field(default_factory=dict)  # what the provider keeps of it


CASES: Final = (
    Case(
        "email",
        {"text": "Your invoice is ready", "subject": "Invoice 42"},
        "__MAIL__: Your invoice is ready\nsubj:Invoice 42",
        {"mail": "1", "mes": "Your invoice is ready", "subj": "Invoice 42"},
        Status.DELIVERED,
        {"Subject": "Invoice 42", "text": "Your invoice is ready"},
    ),
    Case(
        "voice",
        {"text": "Your code is 4 8 2 9", "voice": "w2"},
        "__CALL__: Your code is 4 8 2 9\nvoice:w2",
        {"call": "1", "mes": "Your code is 4 8 2 9", "voice": "w2"},
        Status.DELIVERED,
        {"text": "Your code is 4 8 2 9", "voice": "w2"},
    ),
    Case(
        "viber",
        {"text": "Sale today"},
        "__VIBER__: Sale today",
        {"viber": "1", "mes": "Sale today"},
        Status.DISPLAYED,
        {"text": "Sale today"},
    ),
    Case(
        "social",
        {"text": "Hello from the shop"},
        "__SOC__: Hello from the shop",
        {"soc": "1", "mes": "Hello from the shop"},
        Status.DELIVERED,
        {"text": "Hello from the shop"},
    ),
    Case(
        "telegram",
        {"text": "482913"},
        "__TGM__: 482913",
        {"tg": "1", "mes": "482913"},
        Status.DISPLAYED,
        {"code": "482913"},
    ),
    Case(
        "bot",
        {"text": "Your order shipped", "bot": "@shop_bot"},
        "__BOT__: Your order shipped\nbot:@shop_bot",
        {"bot": "@shop_bot", "mes": "Your order shipped"},
        Status.DISPLAYED,
        {"text": "Your order shipped", "bot": "@shop_bot"},
    ),
    Case("hlr", {}, "__HLR__", {"hlr": "1"}, Status.DELIVERED),
    Case("ping", {}, "__PING__", {"ping": "1"}, Status.DELIVERED),
)
IDS: Final = [case.channel for case in CASES]
# SMSC.ru's status codes of the statuses above (status.php)
SMSC_RU_STATUS: Final = {Status.DELIVERED: 1, Status.DISPLAYED: 2, Status.UNDELIVERED: 20}


@dataclass
class Shared:
    """A gateway with every channel's simulated platform, in a thread of its own."""

    gw: Running
    loop: asyncio.AbstractEventLoop

    def run(self, scenario: Scenario, timeout: float = 30.0) -> None:
        coroutine = asyncio.wait_for(scenario(self.gw), timeout)
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


async def _tune(gw: Running) -> None:
    """Fixed fates, short waits: these tests are about reaching the providers, not their
    shares; and send.php's credentials on account "a"."""
    simulators = gw.app.channel_simulators
    assert simulators is not None and gw.app.simulator is not None
    providers = simulators.providers
    providers.config = replace(
        providers.config,
        no_answer_share=0.0,
        read_share=1.0,
        read_delay=0.05,
        delays=dict.fromkeys(PROVIDER_CHANNELS, 0.05),
    )
    simulators.hlr.config = replace(simulators.hlr.config, absent_share=0.0)
    gw.app.simulator.config.absent_destinations = (ABSENT,)
    store = gw.app.store
    assert store is not None
    account = await store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
    assert account is not None
    await store.update_account(
        replace(
            account,
            smpp_system_id=smsc.LOGIN,
            smpp_password_hash=hash_password(smsc.PASSWORD),
        )
    )


@pytest.fixture(scope="module", params=BACKENDS)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shared]:
    with store_backend(request.param, tmp_path_factory.mktemp("channels")) as backend:
        started: Future[Shared] = Future()
        stopping = threading.Event()

        async def main() -> None:
            try:
                async with running_gateway(backend.url, simulator_channels=True) as gw:
                    await _tune(gw)
                    started.set_result(Shared(gw, asyncio.get_running_loop()))
                    while not stopping.is_set():
                        await asyncio.sleep(0.05)
            except BaseException as error:
                if not started.done():
                    started.set_exception(error)
                raise

        thread = threading.Thread(target=asyncio.run, args=(main(),))
        thread.start()
        try:
            yield started.result(60)
        finally:
            stopping.set()
            thread.join(60)


def destination(case: Case) -> str:
    """A number (or an address) no other test sends to."""
    n = next(_numbers)
    if case.channel == "email":
        return f"ann{n}@example.jp"
    return f"+81901{n:07d}"


async def send(gw: Running, **body: Any) -> dict[str, Any]:
    body.setdefault("to", PHONE)
    response = await gw.client.post("/v1/messages", json=body, headers=gw.headers())
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


async def settled(gw: Running, message_id: str, status: Status) -> dict[str, Any]:
    """The message's view once it is in `status` or has failed (the native status API)."""
    while True:
        got = await gw.client.get(f"/v1/messages/{message_id}", headers=gw.headers())
        view: dict[str, Any] = got.json()
        if view["status"] == status.value or Status(view["status"]) in _NOT_DELIVERED:
            assert view["status"] == status.value, view
            return view
        await asyncio.sleep(0.02)


async def smsc_ru_settled(gw: Running, phone: str, send_id: str, status: Status) -> dict[str, Any]:
    """status.php's answer once the send is in `status` or has failed."""
    wanted = SMSC_RU_STATUS[status]
    while True:
        answer = await smsc.call(gw, "status", phone=phone, id=send_id, fmt="3")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = orjson.loads(answer.content)
        assert "error" not in found, found
        waiting = found["status"] in (-1, 0) or (found["status"], wanted) == (1, 2)
        if not waiting:
            assert found["status"] == wanted, found
            return found
        await asyncio.sleep(0.02)


def check_reached(gw: Running, case: Case, to: str) -> None:
    """What the channel's simulated platform got for `to`: exactly one message, as sent."""
    simulators = gw.app.channel_simulators
    assert simulators is not None and gw.app.simulator is not None
    digits = to.removeprefix("+")
    if case.channel == "email":
        (mail,) = simulators.relay.mailbox(to)
        assert mail.message["Subject"] == case.got["Subject"]
        assert mail.message.get_content().strip() == case.got["text"]
    elif case.channel == "hlr":
        (answer,) = simulators.hlr.answers(digits)
        assert answer["status"] == "ok", answer
    elif case.channel == "ping":
        (ping,) = [m for m in gw.app.simulator.messages.values() if m.destination == digits]
        assert (ping.protocol_id, ping.data_coding, ping.short_message) == (0x40, 0xF0, b"")
    else:
        (received,) = simulators.providers.received(to)
        assert received.channel == case.channel
        assert {k: received.fields.get(k) for k in case.got} == case.got
    if case.channel != "ping":  # nothing else goes to the SMS carrier
        assert not [m for m in gw.app.simulator.messages.values() if m.destination == digits]


async def check_native(gw: Running, case: Case, sent: dict[str, Any], to: str) -> None:
    assert sent["channel"] == case.channel
    view = await settled(gw, sent["id"], case.status)
    assert view["channel"] == case.channel
    for name in ("subject", "voice", "bot"):
        if name in case.native:
            assert view[name] == case.native[name]
    if case.channel == "hlr":
        result = view["result"]
        assert result["mcc"] == "440" and result["imsi"].startswith("440" + result["mnc"])
    check_reached(gw, case, to)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_native_api_channel_reaches_its_provider(shared: Shared, case: Case) -> None:
    async def scenario(gw: Running) -> None:
        to = destination(case)
        # an address's domain is case-insensitive: kept in lower case
        asked = to.replace("@example.jp", "@Example.JP")
        sent = await send(gw, to=asked, channel=case.channel, **case.native)
        assert sent["to"] == to
        await check_native(gw, case, sent, to)

    shared.run(scenario)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_native_api_prefixed_text_reaches_its_provider(shared: Shared, case: Case) -> None:
    async def scenario(gw: Running) -> None:
        to = destination(case)
        sent = await send(gw, to=to, text=case.prefixed + "\n~~~\ncampaign 7")
        assert sent["comment"] == "campaign 7"
        await check_native(gw, case, sent, to)

    shared.run(scenario)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_send_php_flag_reaches_its_provider(shared: Shared, case: Case) -> None:
    async def scenario(gw: Running) -> None:
        to = destination(case)
        phone = to.removeprefix("+")
        answer = await smsc.call(gw, "send", phones=phone, fmt="3", **case.flags)
        assert answer.status_code == 200, answer.text
        sent = orjson.loads(answer.content)
        assert "error" not in sent and sent["cnt"] == 1, sent
        found = await smsc_ru_settled(gw, phone, str(sent["id"]), case.status)
        assert found["err"] == 0
        check_reached(gw, case, to)

    shared.run(scenario)


def test_a_ping_to_a_handset_switched_off_ends_undelivered(shared: Shared) -> None:
    async def scenario(gw: Running) -> None:
        native_to, php_to = f"+{ABSENT}00001", f"{ABSENT}00002"
        sent = await send(gw, to=native_to, channel="ping")
        view = await settled(gw, sent["id"], Status.UNDELIVERED)
        # the carrier's receipt: absent subscriber, the handset is not reachable
        assert view["error_code"] == "undeliverable"
        assert view["error_detail"] == f"network error {ABSENT_SUBSCRIBER:03d}"
        receipts = [h["detail"] for h in view["history"] if h["status"] == "undelivered"]
        assert receipts == [f"receipt UNDELIVERABLE err:{ABSENT_SUBSCRIBER:03d}"], view["history"]
        answer = await smsc.call(gw, "send", phones=php_to, ping="1", fmt="3")
        send_id = str(orjson.loads(answer.content)["id"])
        found = await smsc_ru_settled(gw, php_to, send_id, Status.UNDELIVERED)
        assert found["err"] == ABSENT_SUBSCRIBER  # SMSC.ru's err 6: not reachable
        assert gw.app.simulator is not None
        pings = [m for m in gw.app.simulator.messages.values() if m.destination.startswith(ABSENT)]
        assert [m.protocol_id for m in pings] == [0x40, 0x40]

    shared.run(scenario)


_SAMPLE: Final = re.compile(
    r'^smsgate_messages_accepted_by_channel_total\{channel="(\w+)"\} (\S+)$'
)


async def accepted_by_channel(gw: Running) -> dict[str, float]:
    page = await gw.client.get("/metrics")
    assert page.status_code == 200, page.text
    samples = (_SAMPLE.match(line) for line in page.text.splitlines())
    return {m[1]: float(m[2]) for m in samples if m}


def test_the_accepted_by_channel_metric_counts_each_channel(shared: Shared) -> None:
    async def scenario(gw: Running) -> None:
        before = await accepted_by_channel(gw)
        for _ in range(3):
            await send(gw, to=destination(CASES[2]), channel="viber", text="Sale today")
        await send(gw, to=destination(CASES[6]), channel="hlr")
        after = await accepted_by_channel(gw)
        grown = {name: n - before.get(name, 0) for name, n in after.items()}
        assert {name: n for name, n in grown.items() if n} == {"viber": 3, "hlr": 1}

    shared.run(scenario)


def test_viber_then_sms_when_viber_fails(shared: Shared) -> None:
    async def scenario(gw: Running) -> None:
        # the simulated provider takes messages to +7901... and reports them failed
        sent = await send(gw, to="+79011234567", channel=["viber", "sms"], text="Your table")
        assert (sent["channel"], sent["fallback"]) == ("viber", ["sms"])
        view = await settled(gw, sent["id"], Status.DELIVERED)
        assert (view["channel"], view["fallback"]) == ("sms", [])
        assert "fell_back" in [h["status"] for h in view["history"]]
        assert gw.app.simulator is not None
        sms = [m for m in gw.app.simulator.messages.values() if m.destination == "79011234567"]
        assert len(sms) == 1

    shared.run(scenario)


def test_viber_not_delivered_in_its_time_then_sms(shared: Shared) -> None:
    async def scenario(gw: Running) -> None:
        # a handset offline (+7903...): the provider expires the message at the end of its time
        # on Viber (sent with it), then it goes by SMS: never both
        sent = await send(
            gw, to="+79031234567", channel=["viber", "sms"], text="Your table", channel_ttl=1
        )
        view = await settled(gw, sent["id"], Status.DELIVERED)
        assert view["channel"] == "sms"
        fell = [h for h in view["history"] if h["status"] == "fell_back"]
        assert fell and "expired" in fell[0]["detail"].lower()
        assert gw.app.channel_simulators is not None
        assert gw.app.channel_simulators.providers.received("+79031234567") == []

    shared.run(scenario)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_a_channel_no_connector_carries_is_refused(
    backend_name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
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
        await settled(gw, ping["id"], Status.DELIVERED)

    async def main(url: str) -> None:
        async with running_gateway(url) as gw:
            await asyncio.wait_for(scenario(gw), 30)

    with store_backend(backend_name, tmp_path_factory.mktemp("no-channels")) as backend:
        asyncio.run(main(backend.url))
