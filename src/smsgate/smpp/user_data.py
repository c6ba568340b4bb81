"""The user data of an SMPP message PDU: its body without the UDH, its concatenation numbers
(from the UDH or the SAR TLVs) and the UDH's other elements. Customers' submits and carriers' MO
are read alike."""

from typing import NamedTuple

from smsgate.smpp.errors import SmppError
from smsgate.smpp.pdu import DataSm, DeliverSm, SubmitMulti, SubmitSm
from smsgate.smpp.tlv import Tag
from smsgate.text import UDHI, Concat, Udh, UdhError, parse_udh
from smsgate.text.udh import IEI_CONCAT_8BIT, IEI_CONCAT_16BIT

MessagePdu = SubmitSm | DataSm | SubmitMulti | DeliverSm
_CONCAT_IEIS = frozenset((IEI_CONCAT_8BIT, IEI_CONCAT_16BIT))


class UserDataError(SmppError):
    """User data that cannot be read; `code` names the error catalog's entry for it."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class UserData(NamedTuple):
    body: bytes  # without the UDH
    concat: Concat | None
    header: bytes  # the UDH's other elements (application ports, ...), encoded, without UDHL


def user_data(pdu: MessagePdu) -> UserData:
    """The PDU's user data; UserDataError for a PDU whose user data cannot be read."""
    payload = pdu.tlvs.get(Tag.MESSAGE_PAYLOAD)
    short = b"" if isinstance(pdu, DataSm) else pdu.short_message
    if isinstance(payload, bytes) and payload:
        if short:
            raise UserDataError("invalid_request", "short_message and message_payload are both set")
        data = payload
    else:
        data = short
    concat = None
    header = b""
    if pdu.esm_class & UDHI:
        try:
            udh, data = parse_udh(data)
        except UdhError as exc:
            raise UserDataError("invalid_text", f"bad user data header: {exc}") from None
        others = tuple(ie for ie in udh.elements if ie.iei not in _CONCAT_IEIS)
        if others:
            header = Udh(others).encode()[1:]
        found = udh.concat
        if found is not None and found.total > 1:
            concat = found
    if concat is None:
        total = pdu.tlvs.get(Tag.SAR_TOTAL_SEGMENTS)
        if isinstance(total, int) and total > 1:
            ref, seq = pdu.tlvs.get(Tag.SAR_MSG_REF_NUM), pdu.tlvs.get(Tag.SAR_SEGMENT_SEQNUM)
            if not isinstance(ref, int) or not isinstance(seq, int):
                raise UserDataError("invalid_request", "SAR TLVs incomplete")
            concat = Concat(ref, total, seq)
    if concat is not None and not 1 <= concat.seqnum <= concat.total:
        raise UserDataError("invalid_request", f"part {concat.seqnum} of {concat.total}")
    if not data:
        raise UserDataError("invalid_text", "the message is empty")
    return UserData(data, concat, header)


def raw_user_data(pdu: DeliverSm | DataSm) -> bytes:
    """The PDU's user data as it came (message_payload first), for what cannot be read."""
    payload = pdu.tlvs.get(Tag.MESSAGE_PAYLOAD)
    if isinstance(payload, bytes) and payload:
        return payload
    return pdu.short_message if isinstance(pdu, DeliverSm) else b""
