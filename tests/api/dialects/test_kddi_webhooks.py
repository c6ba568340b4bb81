"""The bot's webhooks of KDDI Message Cast (messageStatus, message, response, newUser) in their
MaaP shapes, sent to a real receiver on loopback by the outbox with the kddi format's retries;
SMS result notifications keep their shape after a fallback."""

import asyncio
import re
from dataclasses import replace
from typing import Any

from smsgate.bench.receiver import CallbackReceiver
from smsgate.domain.status import Status
from tests.api.dialects.kddi_rcs import (
    BOT,
    CAPABLE,
    UNINSTALLED,
    KddiGateway,
    deliveries,
    kddi_gateway,
    received_until,
)
from tests.api.dialects.test_kddi_rcs import with_contact
from tests.fixtures.kddi_samples import sample
from tests.store.backends import StoreBackend

UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def of(bodies: list[dict[str, Any]], event: str, msg_id: str | None = None) -> list[dict[str, Any]]:
    return [
        b
        for b in bodies
        if b.get("event") == event
        and (msg_id is None or b.get("RCSMessage", {}).get("msgId") == msg_id)
    ]


def statuses(bodies: list[dict[str, Any]], msg_id: str) -> set[str]:
    return {b["RCSMessage"]["status"] for b in of(bodies, "messageStatus", msg_id)}


def test_the_bots_webhooks_in_their_shapes_with_retries(backend: StoreBackend) -> None:
    async def main() -> None:
        receiver = CallbackReceiver(status=500)  # down until three attempts came
        base = await receiver.start()
        try:
            async with kddi_gateway(backend.url, rcs_webhook_url=f"{base}/bot") as kddi:
                await scenario(kddi, receiver)
        finally:
            await receiver.stop()

    asyncio.run(main())


async def scenario(kddi: KddiGateway, receiver: CallbackReceiver) -> None:
    worker = kddi.gw.app.callbacks
    assert worker is not None
    worker.policy = replace(worker.policy, first_delay=0.01, factor=1.0)
    worker.config.poll_interval = 0.01
    kddi.rcs.config = replace(kddi.rcs.config, tap_share=1.0)

    # a rich card with a reply: sent, delivered, displayed, the user's first contact, a tap
    card = (await kddi.replay(sample("3.6"))).json()["RCSMessage"]["msgId"]
    await receiver.wait_for(3, 20)
    receiver.status = 200
    bodies = await received_until(
        receiver,
        lambda got: (
            statuses(got, card) >= {"sent", "delivered", "displayed"}
            and bool(of(got, "newUser"))
            and bool(of(got, "response"))
        ),
    )
    sent = of(bodies, "messageStatus", card)[0]
    assert list(sent) == ["event", "botId", "messageContact", "RCSMessage"]
    assert sent["botId"] == BOT and sent["messageContact"] == {"userContact": CAPABLE}
    assert list(sent["RCSMessage"]) == ["msgId", "status", "timestamp"]
    assert UTC_MS.fullmatch(sent["RCSMessage"]["timestamp"])
    # the queued step is no webhook of the guide's
    assert "pending" not in statuses(bodies, card)
    (new_user,) = of(bodies, "newUser")
    assert new_user == {
        "event": "newUser",
        "botId": BOT,
        "messageContact": {"userContact": CAPABLE},
    }
    (response,) = of(bodies, "response")
    assert response["botId"] == BOT and response["messageContact"] == {"userContact": CAPABLE}
    tapped = response["RCSMessage"]["suggestedResponse"]["response"]["reply"]
    assert tapped["displayText"] == "test" and tapped["postback"] == {"data": ""}
    assert response["RCSMessage"]["msgId"] and UTC_MS.fullmatch(response["RCSMessage"]["timestamp"])
    # the first item was refused twice or more and sent again, the same body each time
    retried = [tries for tries in deliveries(receiver).values() if len(tries) > 1]
    assert retried and all(len({t.body for t in tries}) == 1 for tries in retried)

    # a text: the user writes back
    kddi.rcs.config = replace(kddi.rcs.config, tap_share=0.0, reply_share=1.0)
    text = (await kddi.replay(sample("3.2"))).json()["RCSMessage"]["msgId"]
    bodies = await received_until(receiver, lambda got: bool(of(got, "message")))
    (reply,) = of(bodies, "message")
    assert reply["botId"] == BOT and reply["messageContact"] == {"userContact": CAPABLE}
    assert reply["RCSMessage"]["textMessage"] in kddi.rcs.config.reply_texts
    assert statuses(bodies, text) >= {"sent", "delivered"}

    # the app is gone: the message leaves +message, then the SMS results in their own shape
    body = with_contact(sample("3.3").body, UNINSTALLED)
    gone = (await kddi.replay(sample("3.3"), body)).json()["RCSMessage"]["msgId"]
    await kddi.statuses.reach(gone.replace("-", ""), Status.DELIVERED)

    def sms_delivered(got: list[dict[str, Any]]) -> bool:
        return any(
            b.get("smsmessage", {}).get("msgId") == gone
            and b["smsmessage"]["status"] == "delivered"
            for b in got
        )

    bodies = await received_until(receiver, sms_delivered)
    (left,) = [b for b in of(bodies, "messageStatus", gone) if b["RCSMessage"]["status"] != "sent"]
    assert left["RCSMessage"]["status"] == "fallback"
    assert left["fallback"] == {"from": "rcs", "to": "sms"}
    results = [b for b in bodies if b.get("smsmessage", {}).get("msgId") == gone]
    assert all(b["Destination"] == "sms" for b in results)
    assert results[-1]["smsmessage"]["userContact"] == UNINSTALLED
    assert all(r.path == "/bot" for r in receiver.received)
