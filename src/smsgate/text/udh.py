"""User data header (3GPP TS 23.040 9.2.3.24): build and parse, concatenation IEs."""

from dataclasses import dataclass
from typing import Final

from smsgate.text.errors import UdhError

IEI_CONCAT_8BIT: Final = 0x00
IEI_CONCAT_16BIT: Final = 0x08
IEI_PORTS_8BIT: Final = 0x04
IEI_PORTS_16BIT: Final = 0x05

CONCAT_8BIT_UDH_LENGTH: Final = 6  # UDHL + IEI + IEDL + reference, total, sequence number
CONCAT_16BIT_UDH_LENGTH: Final = 7


@dataclass(frozen=True, slots=True)
class InformationElement:
    iei: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Concat:
    """One part of a concatenated message, as carried by IE 0x00 or 0x08."""

    reference: int
    total: int
    seqnum: int
    wide_reference: bool = False  # True for the 16-bit reference of IE 0x08


@dataclass(frozen=True, slots=True)
class Udh:
    elements: tuple[InformationElement, ...]

    @property
    def length(self) -> int:
        """Octets the header takes in the user data, UDHL included."""
        return 1 + sum(2 + len(ie.data) for ie in self.elements)

    def encode(self) -> bytes:
        body = b"".join(bytes((ie.iei, len(ie.data))) + ie.data for ie in self.elements)
        if len(body) > 0xFF:
            raise UdhError(f"user data header of {len(body)} octets does not fit UDHL")
        return bytes((len(body),)) + body

    @property
    def concat(self) -> Concat | None:
        """The concatenation IE, if there is a valid one. Per 23.040 an IE with a zero total
        or a sequence number outside 1..total is ignored, so that gives None too."""
        for ie in self.elements:
            if ie.iei == IEI_CONCAT_8BIT and len(ie.data) == 3:
                reference, total, seqnum = ie.data
                wide = False
            elif ie.iei == IEI_CONCAT_16BIT and len(ie.data) == 4:
                reference = int.from_bytes(ie.data[:2], "big")
                total, seqnum = ie.data[2], ie.data[3]
                wide = True
            else:
                continue
            if total == 0 or not 1 <= seqnum <= total:
                return None
            return Concat(reference, total, seqnum, wide)
        return None


def concat_udh(reference: int, total: int, seqnum: int, *, wide_reference: bool = False) -> bytes:
    """Encoded UDH holding only a concatenation IE (8-bit or 16-bit reference)."""
    if not 1 <= seqnum <= total <= 0xFF:
        raise UdhError(f"part {seqnum} of {total} cannot be numbered in a concatenation IE")
    if wide_reference:
        if not 0 <= reference <= 0xFFFF:
            raise UdhError(f"reference {reference} does not fit 16 bits")
        return bytes((6, IEI_CONCAT_16BIT, 4, reference >> 8, reference & 0xFF, total, seqnum))
    if not 0 <= reference <= 0xFF:
        raise UdhError(f"reference {reference} does not fit 8 bits")
    return bytes((5, IEI_CONCAT_8BIT, 3, reference, total, seqnum))


def parse_udh(user_data: bytes) -> tuple[Udh, bytes]:
    """Split user data that starts with a UDH (esm_class UDHI set) into the header and the
    rest. Raises UdhError when a length points past the end."""
    if not user_data:
        raise UdhError("user data is empty, so it has no UDH length octet")
    end = 1 + user_data[0]
    if end > len(user_data):
        raise UdhError(f"UDH length {user_data[0]} runs past the {len(user_data)} octets of data")
    elements: list[InformationElement] = []
    position = 1
    while position < end:
        if position + 2 > end:
            raise UdhError(f"information element at octet {position} has no length octet")
        iei, length = user_data[position], user_data[position + 1]
        start = position + 2
        if start + length > end:
            raise UdhError(
                f"information element 0x{iei:02X} at octet {position} has length {length}, "
                f"past the end of the {end}-octet UDH"
            )
        elements.append(InformationElement(iei, user_data[start : start + length]))
        position = start + length
    return Udh(tuple(elements)), user_data[end:]
