"""Channel plans through the engine's ports: RCS first with SMS as the fallback (and RCS
only), on a real SQLite store, with an in-process rich connector and an SMS one. The handset
never gets both: SMS goes out only after RCS said no, refused, failed, or was revoked."""

import asyncio
import time
from pathlib import Path

import pytest

from smsgate.domain.errors import GatewayError
from smsgate.domain.status import Status
from smsgate.engine.ports import DeliveryReport, UserEvent
from tests.engine.channel_rig import CARD, USER, history_of, in_loop, rig
from tests.engine.rich_connector import RichMemoryConnector


@in_loop
async def test_a_capable_user_gets_rcs_only(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        message = await r.send(("rcs", "sms"))
        assert message.channel == "rcs" and message.fallback == ("sms",)
        await r.wait(message.id, Status.DELIVERED)
        assert [p.destination for p in r.rcs.handed] == [USER]
        assert r.rcs.handed[0].content == CARD and r.rcs.handed[0].source == "bot-1"
        assert r.sms.handed == []
        history = await history_of(r.store, message.id)
        assert ("queued", "capability: capable") in history


@in_loop
async def test_a_user_not_capable_gets_sms_at_once(tmp_path: Path) -> None:
    async with rig(tmp_path, RichMemoryConnector("rcs", not_capable={USER})) as r:
        message = await r.send(("rcs", "sms"))
        assert message.channel == "sms" and message.fallback == ()
        await r.wait(message.id, Status.DELIVERED)
        assert r.rcs.handed == [] and r.rcs.asked == [USER]
        assert r.sms.handed[0].body  # an encoded SMS segment
        stored = await r.store.get_message(message.id)
        assert stored is not None and stored.channel == "sms"
        notes = [d for _, d in await history_of(r.store, message.id)]
        assert any("cannot receive rcs; sent by sms" in d for d in notes)


@in_loop
async def test_rcs_refused_falls_back_to_sms(tmp_path: Path) -> None:
    async with rig(tmp_path, RichMemoryConnector("rcs", refuse={USER: "rcs_not_capable"})) as r:
        message = await r.send(("rcs", "sms"))
        await r.wait(message.id, Status.DELIVERED)
        assert len(r.rcs.handed) == 1 and len(r.sms.handed) == 1
        assert r.sms.handed[0].text == "Your parcel arrives today"
        assert [i.event for i in r.items if i.subject_id == message.id][:2] == [
            "queued",
            "fell_back",
        ]
        stored = await r.store.get_message(message.id)
        assert stored is not None
        assert (stored.channel, stored.status, stored.fallback) == ("sms", Status.DELIVERED, ())
        history = await history_of(r.store, message.id)
        assert ("fell_back", "rcs -> sms: rcs_not_capable") in history


@in_loop
async def test_rcs_undelivered_receipt_falls_back(tmp_path: Path) -> None:
    rcs = RichMemoryConnector("rcs", outcome={USER: Status.UNDELIVERED})
    async with rig(tmp_path, rcs) as r:
        message = await r.send(("rcs", "sms"))
        await r.wait(message.id, Status.DELIVERED)
        assert len(r.sms.handed) == 1


@in_loop
async def test_time_to_live_revokes_then_sends_sms(tmp_path: Path) -> None:
    async with rig(tmp_path, RichMemoryConnector("rcs", silent={USER})) as r:
        # the time to live runs from the message's acceptance, inside send
        started = time.monotonic()
        message = await r.send(("rcs", "sms"), channel_ttl=0.3)
        await r.wait(message.id, Status.DELIVERED)
        assert time.monotonic() - started >= 0.3
        assert r.rcs.revoked_ids == ["rcs-1"]  # revoked before the SMS left
        assert len(r.sms.handed) == 1
        history = await history_of(r.store, message.id)
        statuses = [s for s, _ in history]
        # rcs sent, revoked, then the message fell back and its SMS was sent
        fell_back = statuses.index("fell_back")
        assert statuses.index("sent") < statuses.index("revoked") < fell_back
        assert "sent" in statuses[fell_back:]


@in_loop
async def test_revoke_refused_as_delivered_sends_no_sms(tmp_path: Path) -> None:
    rcs = RichMemoryConnector("rcs", silent={USER})
    async with rig(tmp_path, rcs) as r:
        # the handset got it, but its report was lost: the revoke says so
        rcs.delivered_ids.add("rcs-1")
        message = await r.send(("rcs", "sms"), channel_ttl=0.2)
        await r.wait(message.id, Status.DELIVERED)
        await asyncio.sleep(0.3)  # several passes of the job
        assert r.sms.handed == [] and rcs.revoked_ids == []
        stored = await r.store.get_message(message.id)
        assert stored is not None and stored.channel == "rcs"


@in_loop
async def test_rcs_only_read_report_after_delivery(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        message = await r.send(("rcs",))
        assert message.channel_until is None and message.fallback == ()
        await r.wait(message.id, Status.DELIVERED)
        read = DeliveryReport(("rcs-1",), Status.DISPLAYED, "displayed")
        await r.gateway.outcomes.receipt("rcs", read)
        stored = await r.store.get_message(message.id)
        assert stored is not None and stored.status is Status.DISPLAYED
        events = [i.event for i in r.items if i.subject_id == message.id]
        assert events[-2:] == ["delivered", "displayed"]


@in_loop
async def test_rcs_only_without_bot_or_connector_is_refused(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        r.account.bot_id = None
        with pytest.raises(GatewayError) as refused:
            await r.send(("rcs",))
        assert refused.value.code == "rcs_unavailable"
        r.account.bot_id = "bot-1"
        with pytest.raises(GatewayError) as bad:
            await r.send(("rcs",), content={"textMessage": ""})
        assert bad.value.code == "invalid_rcs_content"
        with pytest.raises(GatewayError) as twice:
            await r.send(("sms", "sms"))
        assert twice.value.code == "invalid_request"


@in_loop
async def test_user_events_reach_the_bots_webhook_and_subscribers(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        outcomes = r.gateway.outcomes
        await outcomes.user_event("rcs", UserEvent("newUser", "bot-1", USER))
        await outcomes.user_event("rcs", UserEvent("newUser", "bot-1", USER))
        await outcomes.user_event(
            "rcs", UserEvent("message", "bot-1", "819011112222", {"textMessage": "hi"}, "m1", "hi")
        )
        await outcomes.user_event("rcs", UserEvent("response", "nobody", USER))
        assert [(i.event, i.url) for i in r.items] == [
            ("newUser", "http://127.0.0.1:9/bot"),
            ("newUser", "http://127.0.0.1:9/bot"),
            ("message", "http://127.0.0.1:9/bot"),
        ]
        assert r.items[2].payload["text"] == "hi" and r.items[2].payload["user"] == "+819011112222"
        subscribers = await r.store.subscribers(r.account.id, 10)
        assert [s.user for s in subscribers] == [USER]


@in_loop
async def test_each_channel_has_its_price_and_a_fallback_charges_the_difference(
    tmp_path: Path,
) -> None:
    rcs = RichMemoryConnector("rcs", refuse={"819011112222": "rcs_not_capable"})
    async with rig(tmp_path, rcs, balance=1_000_000) as r:  # 1 EUR prepaid
        delivered = await r.send(("rcs", "sms"))
        assert (delivered.price, delivered.price_unit) == ("0.05", "EUR")
        await r.wait(delivered.id, Status.DELIVERED)
        # refused by RCS: sent as a three-part SMS, 0.03, the 0.02 difference given back
        long_text = "A parcel notice long enough for three SMS parts. " * 7
        fell_back = await r.send(("rcs", "sms"), to="819011112222", text=long_text)
        await r.wait(fell_back.id, Status.DELIVERED)
        stored = await r.store.get_message(fell_back.id)
        assert stored is not None and (stored.channel, stored.segments) == ("sms", 3)
        assert stored.price == "0.03"
        balance = await r.store.balance(r.account.id)
        assert balance is not None and balance[0] == 1_000_000 - 50_000 - 30_000
