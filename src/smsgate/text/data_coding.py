"""SMPP data_coding values: which one to send for an encoding, and what an inbound one means.

Values 0x00-0x0F follow the SMPP 3.4 table (5.2.19); above that the octet is read as a
GSM 03.38 data coding scheme (3GPP TS 23.038 section 4), which is what SMSCs pass through
for class and message-waiting codings.
"""

from dataclasses import dataclass
from typing import Final

from smsgate.text.encoding import Encoding
from smsgate.text.errors import DecodeError

DATA_CODING: Final = {
    Encoding.GSM7: 0x00,  # "SMSC default alphabet", GSM-7 on the SMSCs we talk to
    Encoding.IA5: 0x01,
    Encoding.LATIN1: 0x03,
    Encoding.BINARY: 0x04,
    Encoding.UCS2: 0x08,
}

_SMPP_TABLE: Final = {
    0x01: Encoding.IA5,
    0x02: Encoding.BINARY,
    0x03: Encoding.LATIN1,
    0x04: Encoding.BINARY,
    0x08: Encoding.UCS2,
}

_SMPP_UNSUPPORTED: Final = {
    0x05: "JIS (X 0208-1990)",
    0x06: "Cyrillic (ISO-8859-5)",
    0x07: "Latin/Hebrew (ISO-8859-8)",
    0x09: "pictogram encoding",
    0x0A: "ISO-2022-JP (music codes)",
    0x0D: "extended Kanji JIS (X 0212-1990)",
    0x0E: "KS C 5601",
}

# Character set bits (3-2) of the general and 0xF0 coding groups.
_DCS_ALPHABET: Final = {0b00: Encoding.GSM7, 0b01: Encoding.BINARY, 0b10: Encoding.UCS2}


@dataclass(frozen=True, slots=True)
class DataCoding:
    """What an inbound data_coding says: the body's encoding and, if given, the message class
    (0 = flash, 1 = ME specific, 2 = SIM specific, 3 = TE specific)."""

    encoding: Encoding
    message_class: int | None = None


def _unsupported(data_coding: int, what: str) -> DecodeError:
    return DecodeError(f"data_coding 0x{data_coding:02X}", None, f"{what} is not supported")


def interpret_data_coding(
    data_coding: int, *, smsc_default: Encoding = Encoding.GSM7
) -> DataCoding:
    """Read an SMPP data_coding octet. smsc_default is what 0x00 means for this SMSC.
    Raises DecodeError for codings we cannot decode (compressed, JIS, reserved...)."""
    if not 0 <= data_coding <= 0xFF:
        raise ValueError(f"data_coding must be one octet, got {data_coding}")
    if data_coding == 0x00:
        return DataCoding(smsc_default)
    if data_coding <= 0x0F:
        if data_coding in _SMPP_TABLE:
            return DataCoding(_SMPP_TABLE[data_coding])
        raise _unsupported(data_coding, _SMPP_UNSUPPORTED.get(data_coding, "a reserved value"))
    group = data_coding >> 4
    if group <= 0b0111:
        # 00xx: general data coding; 01xx: the same, marked for automatic deletion.
        if data_coding & 0x20:
            raise _unsupported(data_coding, "compressed text")
        encoding = _DCS_ALPHABET.get((data_coding >> 2) & 0b11)
        if encoding is None:
            raise _unsupported(data_coding, "a reserved character set")
        message_class = data_coding & 0b11 if data_coding & 0x10 else None
        return DataCoding(encoding, message_class)
    if group in (0b1100, 0b1101):  # message waiting indication: discard / store, GSM-7
        return DataCoding(Encoding.GSM7)
    if group == 0b1110:  # message waiting indication: store, UCS-2
        return DataCoding(Encoding.UCS2)
    if group == 0b1111:  # data coding / message class; bit 2 picks GSM-7 or 8-bit data
        encoding = Encoding.BINARY if data_coding & 0x04 else Encoding.GSM7
        return DataCoding(encoding, data_coding & 0b11)
    raise _unsupported(data_coding, "a reserved coding group")
