"""The deliver_sm a customer gets, built from an outbox item's payload (docs/outbox.md): a
delivery receipt for its message (or one part of it), or an MO message.

Receipts carry the de-facto receipt text and the TLVs receipted_message_id, message_state
and, for a carrier's failure, network_error_code.
"""

from datetime import UTC, datetime
from typing import Any, Final

from smsgate.domain.channels import HLR
from smsgate.domain.errors import CATALOG
from smsgate.domain.hlr import receipt_text
from smsgate.domain.status import Status
from smsgate.smpp.constants import EsmClass, MessageState
from smsgate.smpp.pdu import DeliverSm
from smsgate.smpp.receipt import Receipt, build_receipt_text, state_to_stat
from smsgate.smpp.tlv import Tag
from smsgate.text import Encoding, TextError, encode_text

# What each final status is called in a receipt (the SMSC's message_state).
RECEIPT_STATE: Final = {
    Status.DELIVERED: MessageState.DELIVERED,
    Status.UNDELIVERED: MessageState.UNDELIVERABLE,
    Status.FAILED: MessageState.UNDELIVERABLE,
    Status.EXPIRED: MessageState.EXPIRED,
    Status.CANCELED: MessageState.DELETED,
    Status.REJECTED: MessageState.REJECTED,
    Status.DISPLAYED: MessageState.DELIVERED,  # read after delivered: one receipt, delivered
    Status.REVOKED: MessageState.DELETED,  # taken back from RCS before it was delivered
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
_MAX_SHORT_MESSAGE: Final = 254
_OCTET: Final = 0xFF


def message_state(status: Status) -> MessageState:
    return RECEIPT_STATE.get(status) or PROGRESS_STATE[status]


def network_error(detail: str | None) -> int:
    """The GSM error a carrier reported (the engine writes "network error 001"), 0 if none."""
    if detail and detail.startswith("network error "):
        code = detail.removeprefix("network error ")
        if code.isdigit():
            return int(code)
    return 0


def query_error(error_code: str | None, error_detail: str | None) -> int:
    """query_sm_resp's one-octet error_code for a message (or part) that did not deliver: the
    network's error a carrier reported, else the SMPP command_status of its catalog error
    (ESME_RUNKNOWNERR for one past an octet); 0 without an error."""
    network = network_error(error_detail)
    if 0 < network <= _OCTET:
        return network
    entry = CATALOG.get(error_code or "")
    if entry is None:
        return 0
    return entry.smpp_status if entry.smpp_status <= _OCTET else _OCTET


def build_receipt(
    payload: dict[str, Any],
    receipt_id: str,
    status: Status,
    *,
    parts: int = 1,
    error_detail: str | None = None,
) -> DeliverSm:
    """A receipt for the message of a status payload, or for one of its parts (`receipt_id`,
    `status` and `error_detail` then those of the part)."""
    state = RECEIPT_STATE[status]
    detail = error_detail if error_detail is not None else payload.get("error_message")
    error = network_error(detail)
    receipt = Receipt(
        message_id=receipt_id,
        state=state,
        submitted=parts,
        delivered=parts if status is Status.DELIVERED else 0,
        submit_date=datetime.fromtimestamp(payload["created_at"], UTC),
        done_date=datetime.fromtimestamp(payload["at"], UTC),
        error=f"{error:03d}",
        text=payload.get("text_head") or "",
    )
    if payload.get("channel") == HLR:
        # a lookup's result in the receipt text, as SMSC.ru gives it (domain.hlr)
        text = receipt_text(receipt_id, state_to_stat(state), f"{error:03d}", payload["result"])
    else:
        text = build_receipt_text(receipt)
    body = text.encode("latin-1", "replace")
    sender = str(payload["from"])
    deliver = DeliverSm(
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr=str(payload["to"]).removeprefix("+"),
        dest_addr_ton=int(payload.get("source_ton", 0)),
        dest_addr_npi=int(payload.get("source_npi", 0)),
        destination_addr=sender,
        esm_class=EsmClass.SMSC_DELIVERY_RECEIPT,
    )
    if len(body) > _MAX_SHORT_MESSAGE:  # a lookup's long (urlencoded) names
        deliver.tlvs[Tag.MESSAGE_PAYLOAD] = body
    else:
        deliver.short_message = body
    deliver.tlvs[Tag.RECEIPTED_MESSAGE_ID] = receipt_id
    deliver.tlvs[Tag.MESSAGE_STATE] = int(state)
    if error:
        network = bytes((_NETWORK_TYPE_GSM,)) + error.to_bytes(2, "big")
        deliver.tlvs[Tag.NETWORK_ERROR_CODE] = network
    return deliver


def build_mo(payload: dict[str, Any]) -> DeliverSm:
    """An MO message as deliver_sm: the text in GSM-7 when it fits, else UCS-2; a binary
    payload as it came. Longer than one short_message, it goes in message_payload."""
    text = payload.get("text")
    if text is None:
        body, data_coding = bytes.fromhex(payload.get("payload_hex") or ""), payload["data_coding"]
    else:
        try:
            body, data_coding = encode_text(text, Encoding.GSM7), 0
        except TextError:
            body, data_coding = encode_text(text, Encoding.UCS2), 8
    source, destination = str(payload["from"]), str(payload["to"])
    deliver = DeliverSm(
        source_addr_ton=1 if source.isdigit() else 0,
        source_addr_npi=1 if source.isdigit() else 0,
        source_addr=source,
        dest_addr_ton=1 if destination.isdigit() else 5,
        dest_addr_npi=1 if destination.isdigit() else 0,
        destination_addr=destination,
        data_coding=data_coding,
    )
    if len(body) > _MAX_SHORT_MESSAGE:
        deliver.tlvs[Tag.MESSAGE_PAYLOAD] = body
    else:
        deliver.short_message = body
    return deliver
