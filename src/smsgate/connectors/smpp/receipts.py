"""What a carrier's delivery receipt says (TLVs first, text second), and the engine's neutral
report made of it."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from smsgate.domain.status import RECEIPT_STATUS
from smsgate.engine.ports import DeliveryReport
from smsgate.smpp.constants import MessageState
from smsgate.smpp.pdu import DataSm, DeliverSm
from smsgate.smpp.receipt import (
    Receipt,
    ReceiptError,
    normalise_message_id,
    parse_receipt_text,
    receipt_id_candidates,
)
from smsgate.smpp.tlv import Tag, TlvValue


class NetworkError(NamedTuple):
    """The network_error_code TLV: network type (1 ANSI-136, 2 IS-95, 3 GSM, ...) and code."""

    network_type: int
    code: int


@dataclass(frozen=True, slots=True)
class ReceiptInfo:
    """What a receipt says, from its TLVs first and its text second.

    upstream_id is "" and state None when neither says; the engine decides what to do with
    a receipt it cannot match. error_code is the text's err field when present, else the
    network_error_code TLV's code as three digits, else "".
    """

    upstream_id: str
    state: MessageState | None
    error_code: str
    network_error: NetworkError | None
    pdu: DeliverSm | DataSm

    @property
    def receipt(self) -> Receipt | None:
        """The parsed text, when it parses (parsed on demand: the TLVs usually suffice)."""
        try:
            return parse_receipt_text(_receipt_text(self.pdu))
        except ReceiptError:
            return None

    @property
    def done_date(self) -> datetime | None:
        """Naive: the carrier's local time, as receipts give it."""
        receipt = self.receipt
        return receipt.done_date if receipt is not None else None


def _single(value: TlvValue | None) -> TlvValue | None:
    # A TLV the carrier repeated arrives as a list of raw values; the first one counts.
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _network_error(value: TlvValue | None) -> NetworkError | None:
    value = _single(value)
    if isinstance(value, bytes) and len(value) == 3:
        return NetworkError(value[0], int.from_bytes(value[1:], "big"))
    return None


def _message_state(value: TlvValue | None) -> MessageState | None:
    value = _single(value)
    if isinstance(value, bytes) and len(value) == 1:
        value = value[0]
    if isinstance(value, int):
        try:
            return MessageState(value)
        except ValueError:
            return None
    return None


def _receipt_text(pdu: DeliverSm | DataSm) -> str:
    text = pdu.short_message if isinstance(pdu, DeliverSm) else b""
    if not text:
        payload = _single(pdu.tlvs.get(Tag.MESSAGE_PAYLOAD))
        text = payload if isinstance(payload, bytes) else b""
    # Receipt text is ASCII in practice; latin-1 maps every octet, so nothing fails here.
    return text.decode("latin-1")


# The err field alone, for receipts whose TLVs give everything else (parsing the whole text
# costs several times more, on every receipt).
_ERR = re.compile(r"(?:^|\s)err:\s*(\S+)", re.IGNORECASE)


def receipt_info(pdu: DeliverSm | DataSm) -> ReceiptInfo:
    """Read a receipt PDU. Never raises: whatever is missing or malformed is left empty."""
    receipted = _single(pdu.tlvs.get(Tag.RECEIPTED_MESSAGE_ID))
    if isinstance(receipted, bytes):
        receipted = receipted.rstrip(b"\0").decode("latin-1")
    upstream_id = receipted if isinstance(receipted, str) and receipted else ""
    state = _message_state(pdu.tlvs.get(Tag.MESSAGE_STATE))
    network_error = _network_error(pdu.tlvs.get(Tag.NETWORK_ERROR_CODE))
    text = _receipt_text(pdu)
    if upstream_id and state is not None:
        found = _ERR.search(text)
        error_code = found.group(1) if found else ""
    else:
        try:
            receipt = parse_receipt_text(text)
        except ReceiptError:
            receipt = None
        if receipt is not None:
            upstream_id = upstream_id or receipt.message_id
            state = state if state is not None else receipt.state
        error_code = receipt.error if receipt is not None else ""
    if not error_code and network_error is not None:
        error_code = f"{network_error.code:03d}"
    return ReceiptInfo(
        upstream_id=upstream_id,
        state=state,
        error_code=error_code,
        network_error=network_error,
        pdu=pdu,
    )


def delivery_report(info: ReceiptInfo, convert_ids: bool = False) -> DeliveryReport:
    """The engine's report of a receipt. Its id is matched normalised; with `convert_ids`
    (carriers that answer in hex and receipt in decimal, or the other way round) also in its
    other-base readings, which could otherwise match another part."""
    state = info.state
    if not info.upstream_id:
        ids: tuple[str, ...] = ()
    elif convert_ids:
        ids = receipt_id_candidates(info.upstream_id)
    else:
        ids = (normalise_message_id(info.upstream_id),)
    if state is None:
        return DeliveryReport(ids, None, "")
    return DeliveryReport(ids, RECEIPT_STATUS[state], state.name, info.error_code)


__all__ = ["NetworkError", "ReceiptInfo", "delivery_report", "receipt_info"]
