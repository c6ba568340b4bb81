"""What a customer is owed when a message's status changes or an MO message arrives: the outbox
items the engine writes in the same transaction as the change (docs/outbox.md).

A message that came by SMPP and asked for receipts (registered_delivery) gets its final status
on channel "smpp" (a deliver_sm receipt on the account's bind); registered_delivery 2 asks
for a failure's receipt only, 3 (SMPP 5.0) for a delivery's only. Any other message with a
callback URL (its own, else the account's default, fixed at acceptance) gets every status on
channel "http". MO goes to the account's inbound webhook (else its default callback URL), or,
for an account that binds by SMPP and has neither, to its bind.
"""

from datetime import UTC, datetime
from typing import Any, Final

from smsgate.domain.account import Account
from smsgate.domain.errors import CATALOG
from smsgate.domain.ids import new_id
from smsgate.domain.inbound import InboundMessage
from smsgate.domain.message import Message, recipient
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import FINAL, Status

# statuses a callback is sent for: every one a message can reach after acceptance
NOTIFIED: Final = FINAL | {Status.SCHEDULED, Status.QUEUED, Status.SENT, Status.FELL_BACK}
INBOUND_EVENT: Final = "inbound"


def dlr_date(at: float) -> str:
    """`YYMMDDhhmm` in UTC, as SMPP receipts' done date."""
    return datetime.fromtimestamp(at, UTC).strftime("%y%m%d%H%M")


def status_payload(message: Message, status: Status, at: float) -> dict[str, Any]:
    final = status in FINAL
    error_code = message.error_code if final and status is not Status.DELIVERED else None
    entry = CATALOG.get(error_code) if error_code else None
    return {
        "id": message.id,
        "client_ref": message.client_ref,
        "tag": message.tag,
        "from": message.source,
        "to": recipient(message),
        "status": status.value,
        "error_code": error_code,
        "error_message": (message.error_detail or (entry.message if entry else None))
        if error_code
        else None,
        "segments": message.segments,
        "channel": message.channel,
        "result": message.result,  # what a lookup found (an HLR lookup's fields)
        "carrier": message.carrier,
        "price": message.price,
        "price_unit": message.price_unit,
        "at": at,
        "created_at": message.created_at,
        "dlrDate": dlr_date(at) if final else None,
        # what a deliver_sm receipt repeats of the original message
        "source_ton": message.source_ton,
        "source_npi": message.source_npi,
        "text_head": message.text[:20],
    }


def receipt_wanted(message: Message, status: Status) -> bool:
    """Whether a message's receipt request covers the final `status`: a delivery, or any
    other outcome as a failure."""
    if message.receipt_only == "failure":
        return status is not Status.DELIVERED
    if message.receipt_only == "success":
        return status is Status.DELIVERED
    return True


def status_item(message: Message, status: Status, at: float) -> OutboxItem | None:
    """The item owed for `message` reaching `status` at `at`, or None."""
    if status not in NOTIFIED:
        return None
    if message.origin == "smpp" and message.registered_delivery:
        # one receipt per message: a read after the delivery is not another
        if status not in FINAL or status is Status.DISPLAYED or not receipt_wanted(message, status):
            return None
        channel, url = "smpp", None
    elif message.callback_url:
        channel, url = "http", message.callback_url
    else:
        return None
    return OutboxItem(
        id=new_id(),
        channel=channel,
        account_id=message.account_id,
        subject_id=message.id,
        event=status.value,
        payload=status_payload(message, status, at),
        created_at=at,
        next_attempt_at=at,
        url=url,
    )


def inbound_payload(message: InboundMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": message.source,
        "to": message.destination,
        "text": message.text,
        "data_coding": message.data_coding,
        "payload_hex": message.payload.hex() if message.text is None else None,
        "segments": message.segments,
        "complete": message.complete,
        "received_at": message.received_at,
    }


def inbound_item(message: InboundMessage, account: Account) -> OutboxItem | None:
    """The item owed to `account` for an MO message routed to it, or None (kept for
    `GET /v1/inbound` only)."""
    webhook = account.inbound_url or account.callback_url
    if webhook:
        channel, url = "http", webhook
    elif account.smpp_system_id:
        channel, url = "smpp", None
    else:
        return None
    return OutboxItem(
        id=new_id(),
        channel=channel,
        account_id=account.id,
        subject_id=message.id,
        event=INBOUND_EVENT,
        payload=inbound_payload(message),
        created_at=message.received_at,
        next_attempt_at=message.received_at,
        url=url,
    )
