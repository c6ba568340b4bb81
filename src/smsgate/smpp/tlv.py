"""Optional parameters (TLVs) of SMPP 3.4 and 5.0: tags by name, value types, encode and decode.

Known tags decode to int, str or bytes by their type; unknown and vendor tags stay raw bytes so they
re-encode unchanged. A tag that occurs more than once in one PDU (broadcast_area_identifier may, by
the 5.0 spec; others only by a peer's choice) is kept as a list of the raw values, in order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from struct import Struct, pack, unpack_from
from struct import error as struct_error

from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.errors import PduDecodeError, PduEncodeError

TlvValue = int | str | bytes | list[bytes]


class Tag(IntEnum):
    DEST_ADDR_SUBUNIT = 0x0005
    DEST_NETWORK_TYPE = 0x0006
    DEST_BEARER_TYPE = 0x0007
    DEST_TELEMATICS_ID = 0x0008
    SOURCE_ADDR_SUBUNIT = 0x000D
    SOURCE_NETWORK_TYPE = 0x000E
    SOURCE_BEARER_TYPE = 0x000F
    SOURCE_TELEMATICS_ID = 0x0010
    QOS_TIME_TO_LIVE = 0x0017
    PAYLOAD_TYPE = 0x0019
    ADDITIONAL_STATUS_INFO_TEXT = 0x001D
    RECEIPTED_MESSAGE_ID = 0x001E
    MS_MSG_WAIT_FACILITIES = 0x0030
    PRIVACY_INDICATOR = 0x0201
    SOURCE_SUBADDRESS = 0x0202
    DEST_SUBADDRESS = 0x0203
    USER_MESSAGE_REFERENCE = 0x0204
    USER_RESPONSE_CODE = 0x0205
    SOURCE_PORT = 0x020A
    DESTINATION_PORT = 0x020B
    SAR_MSG_REF_NUM = 0x020C
    LANGUAGE_INDICATOR = 0x020D
    SAR_TOTAL_SEGMENTS = 0x020E
    SAR_SEGMENT_SEQNUM = 0x020F
    SC_INTERFACE_VERSION = 0x0210
    CALLBACK_NUM_PRES_IND = 0x0302
    CALLBACK_NUM_ATAG = 0x0303
    NUMBER_OF_MESSAGES = 0x0304
    CALLBACK_NUM = 0x0381
    DPF_RESULT = 0x0420
    SET_DPF = 0x0421
    MS_AVAILABILITY_STATUS = 0x0422
    NETWORK_ERROR_CODE = 0x0423
    MESSAGE_PAYLOAD = 0x0424
    DELIVERY_FAILURE_REASON = 0x0425
    MORE_MESSAGES_TO_SEND = 0x0426
    MESSAGE_STATE = 0x0427
    CONGESTION_STATE = 0x0428
    USSD_SERVICE_OP = 0x0501
    BROADCAST_CHANNEL_INDICATOR = 0x0600
    BROADCAST_CONTENT_TYPE = 0x0601
    BROADCAST_CONTENT_TYPE_INFO = 0x0602
    BROADCAST_MESSAGE_CLASS = 0x0603
    BROADCAST_REP_NUM = 0x0604
    BROADCAST_FREQUENCY_INTERVAL = 0x0605
    BROADCAST_AREA_IDENTIFIER = 0x0606
    BROADCAST_ERROR_STATUS = 0x0607
    BROADCAST_AREA_SUCCESS = 0x0608
    BROADCAST_END_TIME = 0x0609
    BROADCAST_SERVICE_GROUP = 0x060A
    BILLING_IDENTIFICATION = 0x060B
    SOURCE_NETWORK_ID = 0x060D
    DEST_NETWORK_ID = 0x060E
    SOURCE_NODE_ID = 0x060F
    DEST_NODE_ID = 0x0610
    DEST_ADDR_NP_RESOLUTION = 0x0611
    DEST_ADDR_NP_INFORMATION = 0x0612
    DEST_ADDR_NP_COUNTRY = 0x0613
    DISPLAY_TIME = 0x1201
    SMS_SIGNAL = 0x1203
    MS_VALIDITY = 0x1204
    ALERT_ON_MESSAGE_DELIVERY = 0x130C
    ITS_REPLY_TYPE = 0x1380
    ITS_SESSION_INFO = 0x1383


@dataclass(frozen=True, slots=True)
class TlvType:
    """How a known tag's value is typed: an unsigned integer of `size` octets, a C-string or octets.

    `size` is exact for integers and fixed-size octets, None for variable octets; for C-strings it
    is the maximum including the NUL.
    """

    kind: str  # "int" | "cstr" | "octets"
    size: int | None = None


_U8, _U16, _U32 = TlvType("int", 1), TlvType("int", 2), TlvType("int", 4)
_OCTETS = TlvType("octets")

TLV_TYPES: dict[int, TlvType] = {
    Tag.DEST_ADDR_SUBUNIT: _U8,
    Tag.DEST_NETWORK_TYPE: _U8,
    Tag.DEST_BEARER_TYPE: _U8,
    Tag.DEST_TELEMATICS_ID: _U16,
    Tag.SOURCE_ADDR_SUBUNIT: _U8,
    Tag.SOURCE_NETWORK_TYPE: _U8,
    Tag.SOURCE_BEARER_TYPE: _U8,
    Tag.SOURCE_TELEMATICS_ID: _U8,
    Tag.QOS_TIME_TO_LIVE: _U32,
    Tag.PAYLOAD_TYPE: _U8,
    Tag.ADDITIONAL_STATUS_INFO_TEXT: TlvType("cstr", 256),
    Tag.RECEIPTED_MESSAGE_ID: TlvType("cstr", 65),
    Tag.MS_MSG_WAIT_FACILITIES: _U8,
    Tag.PRIVACY_INDICATOR: _U8,
    Tag.SOURCE_SUBADDRESS: _OCTETS,
    Tag.DEST_SUBADDRESS: _OCTETS,
    Tag.USER_MESSAGE_REFERENCE: _U16,
    Tag.USER_RESPONSE_CODE: _U8,
    Tag.SOURCE_PORT: _U16,
    Tag.DESTINATION_PORT: _U16,
    Tag.SAR_MSG_REF_NUM: _U16,
    Tag.LANGUAGE_INDICATOR: _U8,
    Tag.SAR_TOTAL_SEGMENTS: _U8,
    Tag.SAR_SEGMENT_SEQNUM: _U8,
    Tag.SC_INTERFACE_VERSION: _U8,
    Tag.CALLBACK_NUM_PRES_IND: _U8,
    Tag.CALLBACK_NUM_ATAG: _OCTETS,
    Tag.NUMBER_OF_MESSAGES: _U8,
    Tag.CALLBACK_NUM: _OCTETS,
    Tag.DPF_RESULT: _U8,
    Tag.SET_DPF: _U8,
    Tag.MS_AVAILABILITY_STATUS: _U8,
    Tag.NETWORK_ERROR_CODE: TlvType("octets", 3),
    Tag.MESSAGE_PAYLOAD: _OCTETS,
    Tag.DELIVERY_FAILURE_REASON: _U8,
    Tag.MORE_MESSAGES_TO_SEND: _U8,
    Tag.MESSAGE_STATE: _U8,
    Tag.CONGESTION_STATE: _U8,
    Tag.USSD_SERVICE_OP: _U8,
    Tag.BROADCAST_CHANNEL_INDICATOR: _U8,
    Tag.BROADCAST_CONTENT_TYPE: TlvType("octets", 3),
    Tag.BROADCAST_CONTENT_TYPE_INFO: _OCTETS,
    Tag.BROADCAST_MESSAGE_CLASS: _U8,
    Tag.BROADCAST_REP_NUM: _U16,
    Tag.BROADCAST_FREQUENCY_INTERVAL: TlvType("octets", 3),
    Tag.BROADCAST_AREA_IDENTIFIER: _OCTETS,
    Tag.BROADCAST_ERROR_STATUS: _U32,
    Tag.BROADCAST_AREA_SUCCESS: _U8,
    Tag.BROADCAST_END_TIME: TlvType("cstr", 17),
    Tag.BROADCAST_SERVICE_GROUP: _OCTETS,
    Tag.BILLING_IDENTIFICATION: _OCTETS,
    Tag.SOURCE_NETWORK_ID: TlvType("cstr", 65),
    Tag.DEST_NETWORK_ID: TlvType("cstr", 65),
    Tag.SOURCE_NODE_ID: TlvType("octets", 6),
    Tag.DEST_NODE_ID: TlvType("octets", 6),
    Tag.DEST_ADDR_NP_RESOLUTION: _U8,
    Tag.DEST_ADDR_NP_INFORMATION: TlvType("octets", 10),
    Tag.DEST_ADDR_NP_COUNTRY: TlvType("octets", 5),
    Tag.DISPLAY_TIME: _U8,
    Tag.SMS_SIGNAL: _U16,
    # 1 octet in 3.4, 1 or 4 in 5.0: kept as octets so both forms survive a round trip
    Tag.MS_VALIDITY: _OCTETS,
    # zero-length in 3.4, optionally one octet in 5.0
    Tag.ALERT_ON_MESSAGE_DELIVERY: _OCTETS,
    Tag.ITS_REPLY_TYPE: _U8,
    Tag.ITS_SESSION_INFO: TlvType("octets", 2),
}

_INT_FORMATS = {1: ">B", 2: ">H", 4: ">I"}


def tlv_name(tag: int) -> str:
    try:
        return Tag(tag).name.lower()
    except ValueError:
        return f"tlv_0x{tag:04x}"


def _typed_value(tag: int, raw: bytes) -> int | str | bytes:
    spec = TLV_TYPES.get(tag)
    if spec is None or spec.kind == "octets":
        if spec is not None and spec.size is not None and len(raw) != spec.size:
            raise PduDecodeError(
                f"{tlv_name(tag)}: {len(raw)} octets, expected {spec.size}",
                CommandStatus.ESME_RINVPARLEN,
            )
        return raw
    if spec.kind == "int":
        if len(raw) != spec.size:
            raise PduDecodeError(
                f"{tlv_name(tag)}: {len(raw)} octets, expected {spec.size}",
                CommandStatus.ESME_RINVPARLEN,
            )
        return int.from_bytes(raw, "big")
    # C-string: the NUL is required by the spec but often missing in the field, so tolerate it.
    assert spec.size is not None
    nul = raw.find(0)
    # Without its NUL the text may have at most size - 1 octets, as the encoder requires.
    if len(raw) > spec.size or (nul < 0 and len(raw) == spec.size):
        raise PduDecodeError(
            f"{tlv_name(tag)}: {len(raw)} octets, at most {spec.size}",
            CommandStatus.ESME_RINVPARLEN,
        )
    return (raw if nul < 0 else raw[:nul]).decode("latin-1")


# Per known tag: 1, 2 or 4 for integers of that size, 0 for variable octets; other types take the
# general path. Lets the common TLVs decode without a function call.
_FAST_KIND: dict[int, int] = {
    int(tag): (spec.size or 0) if spec.kind == "int" else 0
    for tag, spec in TLV_TYPES.items()
    if spec.kind == "int" or (spec.kind == "octets" and spec.size is None)
}


_HH_UNPACK = Struct(">HH").unpack_from


def decode_tlvs(buf: bytes, pos: int, end: int) -> dict[int, TlvValue]:
    """Decode the optional parameters in buf[pos:end]."""
    start = pos
    tlvs: dict[int, TlvValue] = {}
    kinds = _FAST_KIND
    header = _HH_UNPACK
    while pos < end:
        if pos + 4 > end:
            raise PduDecodeError(
                f"{end - pos} stray octets where a TLV header belongs",
                CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        tag, length = header(buf, pos)
        pos += 4
        nxt = pos + length
        if nxt > end:
            raise PduDecodeError(
                f"{tlv_name(tag)}: length {length} runs past the end of the PDU",
                CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        if tag in tlvs:
            return _decode_tlvs_repeated(buf, start, end)
        # the common TLVs inline: integers of their exact size, and plain octets
        kind = kinds.get(tag, -1)
        if kind == length:
            if kind == 1:
                tlvs[tag] = buf[pos]
            elif kind == 2:
                tlvs[tag] = buf[pos] << 8 | buf[pos + 1]
            else:
                tlvs[tag] = int.from_bytes(buf[pos:nxt], "big") if kind else buf[pos:nxt]
        elif kind == 0 or (kind < 0 and tag not in TLV_TYPES):
            tlvs[tag] = buf[pos:nxt]
        else:
            tlvs[tag] = _typed_value(tag, buf[pos:nxt])
        pos = nxt
    return tlvs


def _decode_tlvs_repeated(buf: bytes, pos: int, end: int) -> dict[int, TlvValue]:
    """The rare case of a tag occurring twice: every repeated tag becomes a list of raw values."""
    tlvs: dict[int, TlvValue] = {}
    raws: dict[int, bytes] = {}
    while pos < end:  # decode_tlvs checked the framing only up to the first repeated tag
        if pos + 4 > end:
            raise PduDecodeError(
                f"{end - pos} stray octets where a TLV header belongs",
                CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        tag, length = unpack_from(">HH", buf, pos)
        if pos + 4 + length > end:
            raise PduDecodeError(
                f"{tlv_name(tag)}: length {length} runs past the end of the PDU",
                CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        raw = buf[pos + 4 : pos + 4 + length]
        pos += 4 + length
        previous = tlvs.get(tag)
        if previous is None:
            tlvs[tag] = _typed_value(tag, raw)
            raws[tag] = raw
        elif isinstance(previous, list):
            previous.append(raw)
        else:
            tlvs[tag] = [raws[tag], raw]
    return tlvs


def encode_tlv_value(tag: int, value: int | str | bytes) -> bytes:
    """The value octets of one TLV (without tag and length)."""
    if isinstance(value, bytes):
        return value
    spec = TLV_TYPES.get(tag)
    if isinstance(value, int):
        if spec is None or spec.kind != "int" or spec.size is None:
            raise PduEncodeError(f"{tlv_name(tag)} takes no integer value")
        if not 0 <= value < 1 << (8 * spec.size):
            raise PduEncodeError(f"{tlv_name(tag)}: {value} does not fit {spec.size} octets")
        return pack(_INT_FORMATS[spec.size], value)
    if spec is None or spec.kind != "cstr" or spec.size is None:
        raise PduEncodeError(f"{tlv_name(tag)} takes no string value")
    if "\0" in value:
        raise PduEncodeError(f"{tlv_name(tag)}: a C-string cannot contain NUL")
    try:
        data = value.encode("latin-1") + b"\0"
    except UnicodeEncodeError as exc:
        raise PduEncodeError(f"{tlv_name(tag)}: {exc}") from None
    if len(data) > spec.size:
        raise PduEncodeError(f"{tlv_name(tag)}: longer than {spec.size - 1} characters")
    return data


# Per integer tag: the packer of its whole TLV (tag, length, value) in one struct call.
_INT_TLV: dict[int, Callable[[int, int, int], bytes]] = {
    tag: Struct(">HH" + _INT_FORMATS[size][1]).pack for tag, size in _FAST_KIND.items() if size
}


def encode_tlvs(tlvs: dict[int, TlvValue]) -> bytes:
    out = []
    packers = _INT_TLV
    for tag, value in tlvs.items():
        packer = packers.get(tag)
        if packer is not None and value.__class__ is int:
            try:
                out.append(packer(tag, _INT_SIZE[tag], value))
                continue
            except struct_error:
                pass  # out of range: encode_tlv_value says so precisely
        if not 0 <= tag <= 0xFFFF:
            raise PduEncodeError(f"TLV tag {tag} out of range")
        for raw in value if isinstance(value, list) else (encode_tlv_value(tag, value),):
            if len(raw) > 0xFFFF:
                raise PduEncodeError(f"{tlv_name(tag)}: {len(raw)} octets, at most 65535")
            out.append(pack(">HH", tag, len(raw)))
            out.append(raw)
    return b"".join(out)


_INT_SIZE: dict[int, int] = {tag: size for tag, size in _FAST_KIND.items() if size}
