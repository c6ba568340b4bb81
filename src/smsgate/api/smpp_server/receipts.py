"""The deliver_sm a customer gets: a delivery receipt for its message, or an MO message.

Receipts carry the de-facto receipt text and the TLVs receipted_message_id, message_state
and, for failures, network_error_code (GSM error 0 is not sent).
"""

from datetime import UTC, datetime
from typing import Final

from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.smpp.constants import EsmClass, MessageState
from smsgate.smpp.pdu import DeliverSm
from smsgate.smpp.receipt import Receipt, build_receipt_text
from smsgate.smpp.tlv import Tag
from smsgate.text import Encoding, encode_text

# What each final status is called in a receipt (the SMSC's message_state).
RECEIPT_STATE: Final = {
    Status.DELIVERED: MessageState.DELIVERED,
    Status.UNDELIVERED: MessageState.UNDELIVERABLE,
    Status.FAILED: MessageState.UNDELIVERABLE,
    Status.EXPIRED: MessageState.EXPIRED,
    Status.CANCELED: MessageState.DELETED,
    Status.REJECTED: MessageState.REJECTED,
}
# message_state for statuses that are not final yet (query_sm)
PROGRESS_STATE: Final = {
    Status.ACCEPTED: MessageState.ACCEPTED,
    Status.SCHEDULED: MessageState.SCHEDULED,
    Status.QUEUED: MessageState.ENROUTE,
    Status.SENDING: MessageState.ENROUTE,
    Status.SENT: MessageState.ENROUTE,
}
_NETWORK_TYPE_GSM: Final = 3


def message_state(status: Status) -> MessageState:
    return RECEIPT_STATE.get(status) or PROGRESS_STATE[status]


def _network_error(detail: str | None) -> int:
    """The GSM error a carrier reported ("network error 001"), 0 when none."""
    if detail and detail.startswith("network error "):
        code = detail.removeprefix("network error ")
        if code.isdigit():
            return int(code)
    return 0


def build_receipt(
    message: Message,
    receipt_id: str,
    status: Status,
    *,
    parts: int = 1,
    error_detail: str | None = None,
) -> DeliverSm:
    """A receipt for `message` (or one of its parts under the id `receipt_id`)."""
    state = RECEIPT_STATE[status]
    error = _network_error(error_detail if error_detail is not None else message.error_detail)
    done = datetime.fromtimestamp(message.updated_at, UTC)
    receipt = Receipt(
        message_id=receipt_id,
        state=state,
        submitted=parts,
        delivered=parts if status is Status.DELIVERED else 0,
        submit_date=datetime.fromtimestamp(message.created_at, UTC),
        done_date=done,
        error=f"{error:03d}",
        text=message.text[:20],
    )
    text = build_receipt_text(receipt)
    deliver = DeliverSm(
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr=message.destination,
        dest_addr_ton=message.source_ton,
        dest_addr_npi=message.source_npi,
        destination_addr=message.source,
        esm_class=EsmClass.SMSC_DELIVERY_RECEIPT,
        short_message=text.encode("latin-1", "replace"),
    )
    deliver.tlvs[Tag.RECEIPTED_MESSAGE_ID] = receipt_id
    deliver.tlvs[Tag.MESSAGE_STATE] = int(state)
    if error:
        deliver.tlvs[Tag.NETWORK_ERROR_CODE] = bytes((_NETWORK_TYPE_GSM,)) + error.to_bytes(
            2, "big"
        )
    return deliver


def build_mo(source: str, destination: str, text: str) -> DeliverSm:
    """An MO message as deliver_sm: GSM-7 when the text fits, else UCS-2 (in message_payload
    when it is longer than one short_message)."""
    try:
        body, data_coding = encode_text(text, Encoding.GSM7), 0
    except ValueError:
        body, data_coding = encode_text(text, Encoding.UCS2), 8
    deliver = DeliverSm(
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr=source,
        dest_addr_ton=1 if destination.isdigit() else 5,
        dest_addr_npi=1 if destination.isdigit() else 0,
        destination_addr=destination,
        data_coding=data_coding,
    )
    if len(body) > 254:
        deliver.tlvs[Tag.MESSAGE_PAYLOAD] = body
    else:
        deliver.short_message = body
    return deliver
