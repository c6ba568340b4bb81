"""Choosing an encoding, splitting a message into SMPP parts, and counting those parts.

count_segments/measure and encode_message share _encode_body and _cut_offsets, so a count
always matches the parts that would be sent.

The result records are NamedTuples rather than frozen dataclasses: they are built for every
part of every message, and a frozen dataclass pays an object.__setattr__ call per field.
"""

from enum import StrEnum
from typing import Final, NamedTuple

from smsgate.text.data_coding import DATA_CODING
from smsgate.text.encoding import Encoding, encode_text
from smsgate.text.errors import TextError, TooManySegmentsError
from smsgate.text.gsm7 import ESC, pack_septets, try_encode_gsm7, udh_fill_bits
from smsgate.text.udh import CONCAT_8BIT_UDH_LENGTH, CONCAT_16BIT_UDH_LENGTH, concat_udh

UDHI: Final = 0x40  # esm_class bit: short_message starts with a user data header
DEFAULT_MAX_SEGMENTS: Final = 10
MAX_CONCATENATED: Final = 255  # total and sequence number are single octets
MAX_MESSAGE_PAYLOAD: Final = 0xFFFF  # the message_payload TLV length is 16 bits


class Concatenation(StrEnum):
    """How the parts of a long message are tied together."""

    UDH8 = "udh8"  # UDH IE 0x00 with an 8-bit reference in each short_message
    UDH16 = "udh16"  # UDH IE 0x08 with a 16-bit reference
    SAR = "sar"  # sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs
    PAYLOAD = "payload"  # the whole body in one message_payload TLV, the SMSC splits it


# Part capacity in body octets as produced by _encode_body (unpacked septets for GSM-7, two
# octets per UTF-16 unit): (single message, part with 8-bit UDH, part with 16-bit UDH).
# The UDH variants leave room for 6 resp. 7 UDH octets (plus fill bits) in 140 octets.
_CAPACITY: Final = {
    Encoding.GSM7: (160, 153, 152),
    Encoding.UCS2: (140, 134, 132),
    Encoding.LATIN1: (140, 134, 133),
    Encoding.IA5: (140, 134, 133),
    Encoding.BINARY: (140, 134, 133),
}
# (single-message capacity, part capacity) per encoding and concatenation, looked up once per
# message: enum attribute access is slow enough to show in count_segments. PAYLOAD is never
# cut, its part capacity is only there to fill the table.
_LIMITS: Final = {
    (encoding, concatenation): (
        single,
        {
            Concatenation.UDH8: udh8,
            Concatenation.UDH16: udh16,
            Concatenation.SAR: single,
            Concatenation.PAYLOAD: single,
        }[concatenation],
    )
    for encoding, (single, udh8, udh16) in _CAPACITY.items()
    for concatenation in Concatenation
}
_UNIT_OCTETS: Final = {Encoding.UCS2: 2}
_GSM7: Final = Encoding.GSM7
_UCS2: Final = Encoding.UCS2
_BINARY: Final = Encoding.BINARY
_PAYLOAD: Final = Concatenation.PAYLOAD
_SAR: Final = Concatenation.SAR
_UDH16: Final = Concatenation.UDH16
_FILL_BITS: Final = {
    False: udh_fill_bits(CONCAT_8BIT_UDH_LENGTH),
    True: udh_fill_bits(CONCAT_16BIT_UDH_LENGTH),
}


class Sar(NamedTuple):
    """Values of the SAR TLVs for one part."""

    msg_ref_num: int
    total_segments: int
    segment_seqnum: int


class Part(NamedTuple):
    """One submit_sm worth of body.

    short_message: the octets to send, UDH included when esm_class has UDHI; with
    Concatenation.PAYLOAD they go into the message_payload TLV instead.
    esm_class: bits to OR into the PDU's esm_class (UDHI or 0).
    sar: the SAR TLV values when Concatenation.SAR splits the message, else None.
    """

    short_message: bytes
    esm_class: int = 0
    sar: Sar | None = None


class Measurement(NamedTuple):
    """Size of a message: characters are code points, units are septets (GSM-7, escapes
    counting two), UTF-16 code units (UCS-2) or octets."""

    encoding: Encoding
    data_coding: int
    characters: int
    units: int
    segments: int


class EncodedMessage(NamedTuple):
    encoding: Encoding
    data_coding: int
    concatenation: Concatenation
    characters: int
    units: int
    parts: tuple[Part, ...]

    @property
    def segments(self) -> int:
        return len(self.parts)


def _encode_body(content: str | bytes, encoding: Encoding | None) -> tuple[Encoding, bytes]:
    if isinstance(content, bytes):
        if encoding is not None and encoding is not _BINARY:
            raise TextError(f"bytes can only be sent as binary, not {encoding}")
        return _BINARY, content
    if encoding is None:
        septets = try_encode_gsm7(content)
        if septets is not None:
            return _GSM7, septets
        encoding = _UCS2
    return encoding, encode_text(content, encoding)


def _cut_offsets(body: bytes, encoding: Encoding, concatenation: Concatenation) -> tuple[int, ...]:
    """Offsets into body where parts start, plus len(body) at the end. A cut never falls
    between an ESC and its septet nor between the two halves of a surrogate pair."""
    size = len(body)
    single, step = _LIMITS[encoding, concatenation]
    if size <= single or concatenation is _PAYLOAD:
        return (0, size)
    offsets = [0]
    start = 0
    if encoding is _GSM7:
        while size - start > step:
            end = start + step
            if body[end - 1] == ESC:  # our septets only hold ESC as the first of a pair
                end -= 1
            offsets.append(end)
            start = end
    elif encoding is _UCS2:
        while size - start > step:
            end = start + step
            if 0xD8 <= body[end - 2] <= 0xDB:  # high surrogate: keep it with its low half
                end -= 2
            offsets.append(end)
            start = end
    else:
        offsets.extend(range(step, size, step))
    offsets.append(size)
    return tuple(offsets)


def measure(
    content: str | bytes,
    *,
    encoding: Encoding | None = None,
    concatenation: Concatenation = Concatenation.UDH8,
) -> Measurement:
    """Encoding, size and number of parts of a message, without building the parts.
    encoding None picks GSM-7 when every character fits, else UCS-2 (bytes: binary)."""
    chosen, body = _encode_body(content, encoding)
    return Measurement(
        encoding=chosen,
        data_coding=DATA_CODING[chosen],
        characters=len(content),
        units=len(body) // _UNIT_OCTETS.get(chosen, 1),
        segments=len(_cut_offsets(body, chosen, concatenation)) - 1,
    )


def count_segments(
    content: str | bytes,
    *,
    encoding: Encoding | None = None,
    concatenation: Concatenation = Concatenation.UDH8,
) -> int:
    """Number of parts encode_message would produce (no segment cap applied)."""
    chosen, body = _encode_body(content, encoding)
    return len(_cut_offsets(body, chosen, concatenation)) - 1


def encode_message(
    content: str | bytes,
    *,
    reference: int,
    encoding: Encoding | None = None,
    concatenation: Concatenation = Concatenation.UDH8,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
    packed: bool = False,
) -> EncodedMessage:
    """Encode and split a message into the parts to submit.

    reference: the concatenation reference, from the caller's counter; it is taken modulo
    256 for UDH8 and 65536 for UDH16 and SAR, so a counter can simply keep counting.
    packed: send GSM-7 septets packed (with fill bits after the UDH) instead of unpacked;
    7 spare bits at the end of a part are filled with CR, see pack_septets.
    Raises UnencodableError for an explicit encoding that cannot hold the text, and
    TooManySegmentsError above max_segments parts.
    """
    if reference < 0:
        raise ValueError(f"reference must not be negative, got {reference}")
    chosen, body = _encode_body(content, encoding)
    offsets = _cut_offsets(body, chosen, concatenation)
    total = len(offsets) - 1
    limit = min(max_segments, MAX_CONCATENATED)
    if total > limit:
        raise TooManySegmentsError(total, limit)
    if concatenation is _PAYLOAD and len(body) > MAX_MESSAGE_PAYLOAD:
        raise TextError(
            f"message_payload holds at most {MAX_MESSAGE_PAYLOAD} octets, body has {len(body)}"
        )
    pack = packed and chosen is _GSM7
    parts: tuple[Part, ...]
    if total == 1:
        parts = (Part(pack_septets(body, cr_padding=True) if pack else body),)
    else:
        chunks = [body[offsets[i] : offsets[i + 1]] for i in range(total)]
        wide = concatenation is _UDH16
        if pack:
            fill = 0 if concatenation is _SAR else _FILL_BITS[wide]
            chunks = [pack_septets(chunk, fill, cr_padding=True) for chunk in chunks]
        if concatenation is _SAR:
            ref = reference & 0xFFFF
            parts = tuple(
                [Part(chunk, 0, Sar(ref, total, seqnum)) for seqnum, chunk in enumerate(chunks, 1)]
            )
        else:
            # Only the sequence number differs between the parts' headers.
            ref = reference & (0xFFFF if wide else 0xFF)
            prefix = concat_udh(ref, total, 1, wide_reference=wide)[:-1]
            parts = tuple(
                [
                    Part(prefix + bytes((seqnum,)) + chunk, UDHI)
                    for seqnum, chunk in enumerate(chunks, 1)
                ]
            )
    return EncodedMessage(
        chosen,
        DATA_CODING[chosen],
        concatenation,
        len(content),
        len(body) // _UNIT_OCTETS.get(chosen, 1),
        parts,
    )


_SHORT_MESSAGE: Final = 140  # octets of user data in one SMS
_CONCAT_IE_8BIT: Final = CONCAT_8BIT_UDH_LENGTH - 1  # the IE without the UDHL octet


def encode_binary_with_header(
    body: bytes, header: bytes, *, reference: int, max_segments: int = DEFAULT_MAX_SEGMENTS
) -> EncodedMessage:
    """8-bit data behind the sender's own UDH elements (`header`: encoded IEs without the UDHL,
    such as application port addressing). Every part repeats them, followed by an 8-bit
    reference concatenation IE when the data takes more than one part."""
    room = _SHORT_MESSAGE - 1 - len(header)
    if len(body) <= room:
        parts: tuple[Part, ...] = (Part(bytes((len(header),)) + header + body, UDHI),)
    else:
        step = room - _CONCAT_IE_8BIT
        if step <= 0:
            raise TextError(f"a {len(header)}-octet user data header leaves no room for data")
        total = -(-len(body) // step)
        limit = min(max_segments, MAX_CONCATENATED)
        if total > limit:
            raise TooManySegmentsError(total, limit)
        head = (
            bytes((len(header) + _CONCAT_IE_8BIT,))
            + header
            + concat_udh(reference & 0xFF, total, 1)[1:-1]
        )
        parts = tuple(
            [
                Part(head + bytes((seqnum,)) + body[start : start + step], UDHI)
                for seqnum, start in enumerate(range(0, len(body), step), 1)
            ]
        )
    return EncodedMessage(
        _BINARY, DATA_CODING[_BINARY], Concatenation.UDH8, len(body), len(body), parts
    )
