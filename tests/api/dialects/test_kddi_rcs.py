"""KDDI Message Cast +message (RCS) end to end on both store backends: the guide's samples
reach the simulated handsets (or the simulated SMS carrier), each fallback path (capable, not
capable, app uninstalled, revoke refused as delivered) with the send answer, the status check
and the SMS count, through the built-in RCS platform and the RCS connector over HTTP."""

import asyncio
from typing import Any

from smsgate.domain.rcs import validate
from smsgate.domain.status import Status
from tests.api.dialects.kddi_rcs import (
    BOT,
    CAPABLE,
    NOT_CAPABLE,
    UNINSTALLED,
    KddiGateway,
    kddi_gateway,
)
from tests.api.rcs_platform import reports_lost
from tests.fixtures.kddi_samples import sample, samples
from tests.store.backends import StoreBackend

SMS_SAMPLES = ("3.1", "postman")


def run(backend: StoreBackend, scenario: Any, **account: Any) -> None:
    async def main() -> None:
        async with kddi_gateway(backend.url, **account) as kddi:
            await asyncio.wait_for(scenario(kddi), 60)

    asyncio.run(main())


def with_contact(document: dict[str, Any], number: str) -> dict[str, Any]:
    """A sample's body sent to another number (its messageContact where the sample has it)."""
    body = {**document}
    if "messageContact" in body:
        body["messageContact"] = {"userContact": number}
    else:
        body["message"] = {**body["message"], "messageContact": {"userContact": number}}
    return body


def test_every_sample_of_the_guide_reaches_its_handset(backend: StoreBackend) -> None:
    async def scenario(kddi: KddiGateway) -> None:
        sent: list[tuple[str, str]] = []  # (section, msgId)
        for found in samples():
            answer = await kddi.replay(found)
            assert answer.status_code == 202, (found.section, answer.text)
            body = answer.json()
            if found.section in SMS_SAMPLES:
                assert body["Destination"] == "sms", found.section
                sent.append((found.section, body["smsmessage"]["msgId"]))
            else:
                assert list(body) == ["RCSMessage", "Destination"], found.section
                assert body["Destination"] == "rcs"
                assert body["RCSMessage"]["status"] == "pending"
                sent.append((found.section, body["RCSMessage"]["msgId"]))
        for _, msg_id in sent:
            await kddi.statuses.reach(msg_id.replace("-", ""), Status.DELIVERED)
        # the handset got the +message samples in order, each as the sample wrote it
        # (normalised as the engine checks content), the platform's msgId aside
        received = kddi.rcs.handset(CAPABLE)
        rcs_sent = [(s, m) for s, m in sent if s not in SMS_SAMPLES]
        assert [r.msg_id for r in received] == [
            (await kddi.stored(m)).parts[0].upstream_id for _, m in rcs_sent
        ]
        for (section, _), got in zip(rcs_sent, received, strict=True):
            content = {k: v for k, v in got.content.items() if k != "msgId"}
            rich = sample(section).rcs_message
            assert rich is not None
            assert content == validate(rich), section
            assert got.bot == BOT
        # 3.1 and the Postman sample went by SMS only (3.1's RCSMessage not read)
        assert kddi.sms_to(CAPABLE) == 1 and kddi.sms_to("+817012345678") == 1
        for section, msg_id in sent:
            status = await kddi.status(msg_id)
            channel = "sms" if section in SMS_SAMPLES else "rcs"
            assert status["Destination"] == channel, section
            assert "fallback" not in status

    run(backend, scenario)


def test_capable_goes_by_rcs_delivered_then_displayed(backend: StoreBackend) -> None:
    async def scenario(kddi: KddiGateway) -> None:
        answer = await kddi.replay(sample("3.3"))  # X-Fallback 0
        assert answer.status_code == 202, answer.text
        msg_id = answer.json()["RCSMessage"]["msgId"]
        stored = await kddi.stored(msg_id)
        assert (stored.channel, stored.fallback) == ("rcs", ("sms",))
        # the SMS that a fallback would send: smsmessage's text and sender
        assert stored.text == "これは、SMSメッセージです" and stored.source == "81123456789"
        await kddi.statuses.reach(stored.id, Status.DISPLAYED)
        status = await kddi.status(msg_id)
        assert status == {
            "RCSMessage": {
                "msgId": msg_id,
                "status": "displayed",
                "timestamp": status["RCSMessage"]["timestamp"],
                "userContact": CAPABLE,
            },
            "Destination": "rcs",
        }
        assert kddi.statuses.seen[stored.id][-2:] == [Status.DELIVERED, Status.DISPLAYED]
        assert kddi.sms_to(CAPABLE) == 0

    run(backend, scenario)


def test_not_capable_goes_by_sms_at_once(backend: StoreBackend) -> None:
    async def scenario(kddi: KddiGateway) -> None:
        body = with_contact(sample("3.3").body, NOT_CAPABLE)
        answer = await kddi.replay(sample("3.3"), body)
        assert answer.status_code == 202, answer.text
        accepted = answer.json()
        assert accepted["Destination"] == "sms"
        msg_id = accepted["smsmessage"]["msgId"]
        await kddi.statuses.reach(msg_id.replace("-", ""), Status.DELIVERED)
        status = await kddi.status(msg_id)
        assert status["Destination"] == "sms"
        assert status["smsmessage"]["status"] == "delivered"
        assert status["fallback"]["from"] == "rcs"
        assert "cannot receive rcs" in status["fallback"]["reason"]
        assert kddi.sms_to(NOT_CAPABLE) == 1 and kddi.rcs.handset(NOT_CAPABLE) == []
        # without a fallback (X-Fallback 1) the platform refuses it: failed, no SMS
        only = await kddi.replay(sample("3.2"), with_contact(sample("3.2").body, NOT_CAPABLE))
        assert only.status_code == 202 and only.json()["Destination"] == "rcs"
        rcs_id = only.json()["RCSMessage"]["msgId"]
        await kddi.statuses.reach(rcs_id.replace("-", ""), Status.FAILED)
        assert (await kddi.status(rcs_id))["RCSMessage"]["status"] == "failed"
        assert kddi.sms_to(NOT_CAPABLE) == 1

    run(backend, scenario)


def test_uninstalled_app_is_revoked_then_one_sms(backend: StoreBackend) -> None:
    async def scenario(kddi: KddiGateway) -> None:
        body = with_contact(sample("3.3").body, UNINSTALLED)
        answer = await kddi.replay(sample("3.3"), body)
        assert answer.status_code == 202, answer.text
        assert answer.json()["Destination"] == "rcs"  # capable, as far as the platform says
        msg_id = answer.json()["RCSMessage"]["msgId"]
        message_id = msg_id.replace("-", "")
        # its time on +message (1 s here) runs out: revoked, then sent by SMS
        await kddi.statuses.reach(message_id, Status.DELIVERED)
        assert kddi.gw.app.gateway is not None
        _, history = await kddi.gw.app.gateway.queries.message_with_history(
            kddi.account.id, message_id
        )
        lines = [(h.status, h.applied) for h in history]
        assert lines.index((Status.REVOKED, False)) < lines.index((Status.FELL_BACK, True))
        status = await kddi.status(msg_id)
        assert status["Destination"] == "sms" and status["smsmessage"]["status"] == "delivered"
        assert status["fallback"] == {"from": "rcs", "reason": "not delivered in time, revoked"}
        assert kddi.rcs.counters["revoked"] == 1
        assert kddi.rcs.handset(UNINSTALLED) == []
        assert kddi.sms_to(UNINSTALLED) == 1  # one SMS only

    run(backend, scenario)


def test_a_revoke_refused_as_delivered_sends_no_sms(backend: StoreBackend) -> None:
    async def scenario(kddi: KddiGateway) -> None:
        # the platform's reports are lost for a while (its webhooks go nowhere): the gateway
        # still sees the message sent when its time on +message runs out, and the revoke
        # finds it delivered
        with reports_lost(kddi.rcs):
            answer = await kddi.replay(sample("3.3"))
            assert answer.status_code == 202, answer.text
            msg_id = answer.json()["RCSMessage"]["msgId"]
            await kddi.statuses.reach(msg_id.replace("-", ""), Status.DELIVERED)
        assert kddi.rcs.counters["revoke_refused"] == 1
        status = await kddi.status(msg_id)
        assert status["Destination"] == "rcs"
        assert status["RCSMessage"]["status"] == "delivered"
        assert kddi.sms_to(CAPABLE) == 0

    run(backend, scenario)
