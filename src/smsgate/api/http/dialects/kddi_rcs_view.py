"""KDDI Message Cast, +message (RCS) part: the shapes of answers and of the bot's webhooks
(messageStatus, message, response, newUser), in the MaaP style the guide's samples use
(docs/dialects/kddi.md)."""

from typing import Any, Final

from smsgate.api.http.dialects.kddi_values import msg_id, plus, timestamp
from smsgate.domain.account import Account
from smsgate.domain.message import Message, StatusChange
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import Status
from smsgate.engine.user_events import KINDS as USER_EVENTS

DESTINATION: Final = "rcs"
RCS: Final = "rcs"
MESSAGE_STATUS: Final = "messageStatus"
# the status a webhook names when the message left +message for SMS (the guide has no word
# for it: the SMS result notifications follow, in their own shape)
FALLBACK: Final = "fallback"

# smsgate's statuses as a +message's
STATUS: Final = {
    Status.ACCEPTED: "pending",
    Status.SCHEDULED: "pending",
    Status.QUEUED: "pending",
    Status.SENDING: "pending",
    Status.SENT: "sent",
    Status.DELIVERED: "delivered",
    Status.DISPLAYED: "displayed",
    Status.UNDELIVERED: "failed",
    Status.FAILED: "failed",
    Status.REJECTED: "failed",
    Status.REVOKED: "revoked",
    # taken back by its sender before it left: what the platform calls a revoke
    Status.CANCELED: "revoked",
    Status.EXPIRED: "expired",
    Status.FELL_BACK: FALLBACK,
}
# statuses the bot's webhook is told of (the guide's sent, delivered, displayed, revoked, and
# the ends a message can also reach)
NOTIFIED: Final = frozenset(STATUS[s] for s in STATUS) - {"pending"}


def accepted_body(message: Message) -> dict[str, Any]:
    """The 202 answer to a send that goes by +message."""
    return {
        "RCSMessage": {
            "msgId": msg_id(message.id),
            "status": "pending",
            "timestamp": timestamp(message.created_at),
        },
        "Destination": DESTINATION,
    }


def status_body(message: Message) -> dict[str, Any]:
    """The answer to a status check of a message on +message."""
    return {
        "RCSMessage": {
            "msgId": msg_id(message.id),
            "status": STATUS[message.status],
            "timestamp": timestamp(message.updated_at),
            "userContact": "+" + message.destination,
        },
        "Destination": DESTINATION,
    }


def fallback_of(message: Message, history: list[StatusChange]) -> dict[str, Any] | None:
    """Why a message meant for +message went by SMS, from its history: the line of its fall
    back ("rcs -> sms: <reason>"), or the note of its acceptance when it went by SMS at once
    (the number cannot receive +message, or no +message connector is up); None for a message
    that was never meant for +message or is still on it."""
    if message.content is None or message.channel == RCS:
        return None
    for change in history:
        if change.status is Status.FELL_BACK:
            left, _, reason = change.detail.partition(": ")
            return {"from": left.partition(" -> ")[0] or RCS, "reason": reason or change.detail}
    for change in history:
        if change.detail.endswith(f"sent by {message.channel}"):
            return {"from": RCS, "reason": change.detail}
    return {"from": RCS, "reason": None}


def is_rcs_item(item: OutboxItem) -> bool:
    """Whether an outbox item is the bot's webhook: a user's event or a status of a message
    on +message (or its leaving it)."""
    if item.event in USER_EVENTS or item.event == Status.FELL_BACK.value:
        return True
    return item.payload.get("channel") == RCS


def webhook_wanted(item: OutboxItem) -> bool:
    """A +message still pending (queued, scheduled) is not a webhook of the guide's."""
    if item.event in USER_EVENTS:
        return True
    try:
        return STATUS[Status(item.event)] in NOTIFIED
    except ValueError:
        return True


def webhook_values(item: OutboxItem, account: Account | None) -> dict[str, Any]:
    """The JSON POSTed to the bot's Webhook URL for `item`."""
    payload = item.payload
    if item.event in USER_EVENTS:
        at = float(payload.get("received_at") or item.created_at)
        return _user_event(item.event, payload, at)
    status = Status(item.event)
    body: dict[str, Any] = {
        "event": MESSAGE_STATUS,
        "botId": account.bot_id if account else None,
        "messageContact": {"userContact": plus(payload.get("to"))},
        "RCSMessage": {
            "msgId": msg_id(str(payload.get("id"))),
            "status": STATUS[status],
            "timestamp": timestamp(float(payload.get("at") or item.created_at)),
        },
    }
    if status is Status.FELL_BACK:
        body["fallback"] = {"from": RCS, "to": payload.get("channel")}
    elif payload.get("error_code"):
        body["RCSMessage"]["errorCode"] = payload["error_code"]
        body["RCSMessage"]["errorMessage"] = payload.get("error_message")
    return body


def _user_event(kind: str, payload: dict[str, Any], at: float) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event": kind,
        "botId": payload.get("bot"),
        "messageContact": {"userContact": plus(payload.get("user"))},
    }
    if kind == "newUser":
        return body
    # the user's content as the platform gave it, with this gateway's forms of id and time
    rcs = payload.get("rcs")
    content = {k: v for k, v in rcs.items() if k not in ("msgId", "timestamp")} if rcs else {}
    body["RCSMessage"] = {
        **content,
        "msgId": payload.get("message_id"),
        "timestamp": timestamp(at),
    }
    return body
