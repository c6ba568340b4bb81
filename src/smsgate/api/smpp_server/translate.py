"""submit_sm, data_sm and submit_multi as the engine's SendCommand; replace_sm as its
ReplaceCommand.

A PDU is read into `Submission`s (one per destination) holding the message body without its
UDH and the concatenation numbers (from the UDH or the SAR TLVs); the body is decoded only when
all parts of a message are together, so a character split across two parts still decodes.
Errors are the catalog's GatewayErrors, whose SMPP command_status the customer gets.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from smsgate.api.smpp_server.options import BindOptions
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message, Priority
from smsgate.engine.commands import ReplaceCommand, SendCommand
from smsgate.smpp.constants import RECEIPT_MASK
from smsgate.smpp.pdu import DataSm, ReplaceSm, SmeAddress, SubmitMulti, SubmitSm
from smsgate.smpp.smpp_time import parse_smpp_time
from smsgate.smpp.tlv import Tag
from smsgate.smpp.user_data import UserDataError, user_data
from smsgate.text import (
    Concat,
    DecodeError,
    Encoding,
    decode_text,
    interpret_data_coding,
)

SubmitPdu = SubmitSm | DataSm | SubmitMulti

_TON_INTERNATIONAL = 1
MAX_DESTINATIONS = 255  # submit_multi's number_of_dests is one octet
# registered_delivery's receipt bits: 1 asks for every outcome, 2 for a failure only, and 3
# (SMPP 5.0) for a delivery only
RECEIPT_ONLY = {2: "failure", 3: "success"}
_KEPT = frozenset((Encoding.UCS2, Encoding.BINARY))
_KEPT_VALUES = frozenset(e.value for e in _KEPT)


@dataclass(slots=True)
class Submission:
    """One destination of a submit, before its text is decoded."""

    to: str
    sender: str
    body: bytes  # user data without the UDH
    encoding: Encoding
    data_coding: int
    concat: Concat | None
    header: bytes  # UDH elements besides concatenation, binary data only
    priority: Priority
    scheduled_at: float | None
    validity: float | None
    registered_delivery: bool
    receipt_only: str | None

    def command(self, body: bytes | None = None) -> SendCommand:
        """The engine command for this submission, with the whole message's body."""
        data = self.body if body is None else body
        if self.encoding is Encoding.BINARY:
            text = data.hex()  # the engine takes 8-bit data as hex
        else:
            try:
                text = decode_text(data, self.encoding)
            except DecodeError as exc:
                raise GatewayError("invalid_text", str(exc)) from None
        return SendCommand(
            to=self.to,
            text=text,
            sender=self.sender or None,
            # the customer's UCS-2 stays UCS-2 and binary binary, so the parts are what it
            # counted; any other coding is chosen by the text (GSM-7 when it fits)
            encoding=self.encoding.value if self.encoding in _KEPT else None,
            priority=self.priority,
            scheduled_at=self.scheduled_at,
            validity=self.validity,
            registered_delivery=self.registered_delivery,
            receipt_only=self.receipt_only,
            origin="smpp",
            data_coding=self.data_coding if self.encoding is Encoding.BINARY else None,
            udh=self.header or None,
        )


def destination(address: str, ton: int) -> str:
    """An address as the engine parses it: international when the TON says so (an e-mail
    address, for `__MAIL__`, as it is)."""
    if ton == _TON_INTERNATIONAL and address and address[0].isdigit() and "@" not in address:
        return "+" + address
    return address


def source(address: str, ton: int) -> str:
    """A sender: a number (international by TON 1) or an alphanumeric name, as given."""
    return "+" + address if ton == _TON_INTERNATIONAL and address.isdigit() else address


def read_submissions(pdu: SubmitPdu, options: BindOptions, now: float) -> list[Submission]:
    """The submissions of a PDU; GatewayError for what applies to all of its destinations."""
    try:
        body, concat, header = user_data(pdu)
    except UserDataError as exc:
        raise GatewayError(exc.code, exc.detail) from None
    try:
        encoding = interpret_data_coding(
            pdu.data_coding, smsc_default=options.default_encoding
        ).encoding
    except DecodeError as exc:
        raise GatewayError("invalid_text", str(exc)) from None
    if header and encoding is not Encoding.BINARY:
        # text is decoded and encoded again, which elements such as shift tables would change
        raise GatewayError(
            "invalid_text", "user data header elements besides concatenation need binary data"
        )
    if isinstance(pdu, DataSm):
        priority, scheduled, validity = Priority.NORMAL, None, None
    else:
        if pdu.priority_flag > Priority.URGENT:
            raise GatewayError("invalid_priority", "priority_flag 0 to 3")
        priority = Priority(pdu.priority_flag)
        scheduled = _time(pdu.schedule_delivery_time, now, "invalid_schedule")
        valid_until = _time(pdu.validity_period, now, "invalid_validity")
        start = scheduled if scheduled is not None and scheduled > now else now
        validity = None if valid_until is None else valid_until - start
        if validity is not None and validity <= 0:
            raise GatewayError("invalid_validity", "the validity period ends before it starts")
    first = Submission(
        to="",
        sender=source(pdu.source_addr, pdu.source_addr_ton),
        body=body,
        encoding=encoding,
        data_coding=pdu.data_coding,
        concat=concat,
        header=header,
        priority=priority,
        scheduled_at=scheduled,
        validity=validity,
        registered_delivery=bool(pdu.registered_delivery & RECEIPT_MASK),
        receipt_only=RECEIPT_ONLY.get(pdu.registered_delivery & RECEIPT_MASK),
    )
    if not isinstance(pdu, SubmitMulti):
        if not pdu.destination_addr:
            raise GatewayError("invalid_destination", "destination_addr is empty")
        first.to = destination(pdu.destination_addr, pdu.dest_addr_ton)
        return [first]
    if not pdu.dest_addresses:
        raise GatewayError("invalid_destination", "submit_multi without destinations")
    if len(pdu.dest_addresses) > MAX_DESTINATIONS:
        raise GatewayError("invalid_destination", f"at most {MAX_DESTINATIONS} destinations")
    return [
        replace(first, to=destination(d.address, d.ton))
        if isinstance(d, SmeAddress)
        else replace(first, to="")  # a distribution list: refused per destination
        for d in pdu.dest_addresses
    ]


def read_replacement(
    pdu: ReplaceSm, options: BindOptions, message: Message, now: float
) -> ReplaceCommand:
    """replace_sm as the engine's ReplaceCommand for `message`. Its short_message (or, in SMPP
    5.0, message_payload) is in the original's data_coding: UCS-2 for a message kept in UCS-2,
    8-bit data for a binary one, else the bind's default alphabet; empty keeps the text. Empty
    times keep the message's."""
    payload = pdu.tlvs.get(Tag.MESSAGE_PAYLOAD)
    body = payload if isinstance(payload, bytes) and payload else pdu.short_message
    kept = Encoding(message.encoding) if message.encoding in _KEPT_VALUES else None
    text = None
    if body and kept is Encoding.BINARY:
        text = body.hex()  # the engine takes 8-bit data as hex
    elif body:
        try:
            text = decode_text(body, kept or options.default_encoding)
        except DecodeError as exc:
            raise GatewayError("invalid_text", str(exc)) from None
    receipt = pdu.registered_delivery & RECEIPT_MASK
    return ReplaceCommand(
        text=text,
        encoding=kept.value if text is not None and kept else None,
        scheduled_at=_time(pdu.schedule_delivery_time, now, "invalid_schedule"),
        valid_until=_time(pdu.validity_period, now, "invalid_validity"),
        registered_delivery=bool(receipt),
        receipt_only=RECEIPT_ONLY.get(receipt),
    )


def _time(value: str, now: float, code: str) -> float | None:
    if not value:
        return None
    try:
        parsed = parse_smpp_time(value, datetime.fromtimestamp(now, UTC))
    except ValueError as exc:
        raise GatewayError(code, f"{value!r}: {exc}") from None
    return None if parsed is None else parsed.timestamp()
