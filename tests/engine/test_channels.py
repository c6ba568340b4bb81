"""SMSC.ru's channels through the engine's ports, on a real SQLite store, with in-process
connectors of those channels: a prefixed text asks for its channel (refused while no connector
carries it), each channel's own lines are checked, an e-mail goes to an address, a ping is a
silent SMS through the SMS connectors, a lookup's result is kept and given back, and Viber falls
back to SMS."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.message import Message
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.routing_tables import RouteRow
from smsgate.domain.status import Status
from smsgate.engine.commands import SendCommand
from smsgate.engine.config import EngineConfig
from smsgate.engine.gateway import Gateway
from smsgate.engine.ports import DeliveryReport, OutboundPart
from smsgate.engine.router import EngineRouter
from smsgate.store import Store, open_store
from tests.engine.memory_connector import MemoryConnector
from tests.engine.test_fallback import in_loop

PHONE = "819012345678"
HLR_RESULT = {"imsi": "440101234567890", "mcc": "440", "mnc": "10", "net": "NTT docomo"}


@dataclass
class LookupConnector(MemoryConnector):
    """Answers a lookup with a result, as an HLR provider does."""

    channel: str = "hlr"
    result: dict[str, Any] = field(default_factory=lambda: dict(HLR_RESULT))

    def _report(self, report: DeliveryReport) -> None:
        with_result = DeliveryReport(report.carrier_ids, report.status, "DELIVRD", "", self.result)
        super()._report(with_result)


@dataclass
class Rig:
    gateway: Gateway
    store: Store
    account: Account
    connectors: dict[str, MemoryConnector]
    statuses: dict[str, list[Status]]
    items: list[OutboxItem]
    changed: asyncio.Event

    async def send(self, text: str, to: str = "+" + PHONE, **fields: Any) -> Message:
        (result,) = await self.gateway.accept(
            self.account, [SendCommand(to=to, text=text, **fields)]
        )
        if isinstance(result, GatewayError):
            raise result
        return result

    async def wait(self, message_id: str, status: Status) -> None:
        async def reached() -> None:
            while status not in self.statuses.get(message_id, []):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(reached(), 10)

    def handed(self, name: str) -> list[OutboundPart]:
        return self.connectors[name].handed


@asynccontextmanager
async def rig(tmp_path: Path, *connectors: MemoryConnector) -> AsyncIterator[Rig]:
    store = await open_store(str(tmp_path / "channels.db"))
    await store.replace_routes([RouteRow("all", 0, {"connectors": [{"id": "sms"}]})])
    account = Account(
        id=new_id(), name="a", api_key_hash="x", rate_limit=10_000.0, callback_url="http://x/cb"
    )
    await store.create_account(account)
    statuses: dict[str, list[Status]] = {}
    items: list[OutboxItem] = []
    changed = asyncio.Event()

    def on_status(message: Message, status: Status) -> None:
        statuses.setdefault(message.id, []).append(status)
        changed.set()

    every = {c.name: c for c in (MemoryConnector("sms"), *connectors)}
    gateway = Gateway(
        store,
        await EngineRouter.load(store),
        every,
        config=EngineConfig(identical_window=60.0, channel_timeout_interval=0.05),
        on_status=[on_status],
        on_outbox=[items.append],
    )
    await gateway.start()
    try:
        yield Rig(gateway, store, account, every, statuses, items, changed)
    finally:
        await gateway.stop(1.0)
        await store.close()


@in_loop
async def test_a_prefix_without_its_connector_is_refused_never_sent_as_sms(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        for text in ("__VIBER__: Hello", "§§MAIL§§: Hi\nsubj:S", "__HLR__", "__TGM__: 12"):
            with pytest.raises(GatewayError) as refused:
                await r.send(text)
            assert refused.value.code == "channel_unavailable", text
        assert r.handed("sms") == []


@in_loop
async def test_each_channel_gets_its_text_and_fields(tmp_path: Path) -> None:
    names = ("email", "voice", "viber", "social", "telegram", "bot")
    channels = [MemoryConnector(name, channel=name) for name in names]
    async with rig(tmp_path, *channels) as r:
        sent = [
            await r.send("__MAIL__: Your invoice is ready\nsubj:Invoice 42", to="Ann@Example.JP"),
            await r.send("__CALL__: Your code is 1 2 3 4\nvoice:w2"),
            await r.send("__VIBER__: Sale today\n~~~\ncampaign 7"),
            await r.send("__SOC__: Hello from the shop"),
            await r.send("__TGM__: 482913"),
            await r.send("__BOT__: Your order shipped\nbot:@shop_bot"),
        ]
        for message in sent:
            await r.wait(message.id, Status.DELIVERED)
        assert [m.channel for m in sent] == list(names)
        assert sent[0].destination == "Ann@example.jp" and sent[0].carrier is None
        assert sent[2].text == "Sale today" and sent[2].comment == "campaign 7"
        parts = {name: r.handed(name)[0] for name in names}
        assert (parts["email"].text, parts["email"].content) == (
            "Your invoice is ready",
            {"subject": "Invoice 42"},
        )
        assert parts["email"].destination == "Ann@example.jp"
        assert parts["voice"].content == {"voice": "w2"}
        assert parts["telegram"].content == {"code": "482913"}
        assert (parts["bot"].text, parts["bot"].content) == (
            "Your order shipped",
            {"bot": "@shop_bot"},
        )
        assert parts["viber"].channel == "viber" and parts["viber"].text == "Sale today"
        assert r.handed("sms") == []
        payload = next(i.payload for i in r.items if i.subject_id == sent[0].id)
        assert payload["to"] == "Ann@example.jp" and payload["channel"] == "email"
        for bad, why in (
            ("__TGM__: 12", "4 to 8 digits"),
            ("__CALL__: Hi\nvoice:robot", "not one of"),
            ("__BOT__: Hi", "bot:"),
            ("__MAIL__: no subject line", "subj:"),
        ):
            with pytest.raises(GatewayError, match=why):
                await r.send(bad, to="a@b.jp" if "MAIL" in bad else "+" + PHONE)


@in_loop
async def test_a_ping_is_a_silent_sms_through_the_sms_connectors(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        message = await r.send("__PING__")
        assert message.channel == "ping" and message.segments == 1
        await r.wait(message.id, Status.DELIVERED)  # the handset is reachable
        (part,) = r.handed("sms")
        assert (part.protocol_id, part.data_coding, part.body) == (0x40, 0xF0, b"")


@in_loop
async def test_a_lookup_result_is_kept_and_given_back(tmp_path: Path) -> None:
    async with rig(tmp_path, LookupConnector("hlr")) as r:
        message = await r.send("__HLR__")
        await r.wait(message.id, Status.DELIVERED)
        stored = await r.store.get_message(message.id)
        assert stored is not None and stored.result == HLR_RESULT
        delivered = next(
            i for i in r.items if i.subject_id == message.id and i.event == "delivered"
        )
        assert delivered.payload["result"] == HLR_RESULT
        with pytest.raises(GatewayError) as again:  # one lookup of a number a minute
            await r.send("__HLR__")
        assert again.value.code == "identical"


@in_loop
async def test_viber_then_sms_falls_back_when_viber_does_not_deliver(tmp_path: Path) -> None:
    viber = MemoryConnector("viber", channel="viber", outcome={PHONE: Status.UNDELIVERED})
    async with rig(tmp_path, viber) as r:
        message = await r.send("Your table is ready", channels=("viber", "sms"), channel_ttl=30)
        assert (message.channel, message.fallback) == ("viber", ("sms",))
        started = time.time()
        await r.wait(message.id, Status.DELIVERED)
        # the part went to Viber with the time it has there, then by SMS
        assert viber.handed[0].valid_until == pytest.approx(started + 30, abs=2)
        (sms,) = r.handed("sms")
        assert sms.body and sms.channel == "sms"
        stored = await r.store.get_message(message.id)
        assert stored is not None and stored.channel == "sms"
