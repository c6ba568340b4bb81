"""GSM 03.38 (3GPP TS 23.038) default alphabet and extension table, septet packing.

Septets are handled in two forms: unpacked (one septet per octet, what SMPP data_coding 0
carries) and packed (septets laid end to end, least significant bit first, as on the air
interface). Encoding and decoding go through C-level charmap tables rather than per-character
Python loops because they run on every message.
"""

import codecs
from functools import lru_cache
from typing import Final, Literal

from smsgate.text.errors import DecodeError, UnencodableError

ErrorMode = Literal["strict", "replace"]

ESC: Final = 0x1B

# Default alphabet, septet value = index. 0x1B is the escape to the extension table, not a
# character. 0x09 is Ç: the glyph of the 23.038 table (Unicode's mapping file says ç instead).
BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\ufffeÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

# Extension table: septet following ESC -> character.
EXTENSION: Final = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

ALPHABET: Final = frozenset(BASIC.replace("\ufffe", "")) | frozenset(EXTENSION.values())

_UNDEFINED: Final = "\ufffe"
_EXT_CODES: Final = tuple(EXTENSION)

# codecs.charmap_build only yields the fast EncodingMap when octet 0 decodes to U+0000, so the
# encoder works on intermediate octets: NUL -> 0x00 (rejected afterwards), extension character
# k -> 1 + k, basic septet s -> 0x80 + s. One bytes.translate then turns those into septets,
# with the extension characters as 0x80 | code markers that are expanded to ESC pairs.
_ENCODING_MAP: Final = codecs.charmap_build(
    "\x00"
    + "".join(EXTENSION[code] for code in _EXT_CODES)
    + _UNDEFINED * (128 - 1 - len(_EXT_CODES))
    + BASIC
)
_NUL_MARK: Final = 0xFF
_TO_SEPTETS: Final = bytes(
    [_NUL_MARK]
    + [0x80 | code for code in _EXT_CODES]
    + [_NUL_MARK] * (128 - 1 - len(_EXT_CODES))
    + list(range(128))
)
_ASCII: Final = bytes(range(128))

_GSM7: Final = "gsm7"


def _first_unencodable(text: str) -> int:
    for position, char in enumerate(text):
        if char not in ALPHABET:
            return position
    raise AssertionError("no unencodable character")


def try_encode_gsm7(text: str) -> bytes | None:
    """Unpacked septets of text, or None when a character does not fit. The automatic
    encoding choice uses this: it skips locating the character for an UnencodableError."""
    try:
        marked = codecs.charmap_encode(text, "strict", _ENCODING_MAP)[0].translate(_TO_SEPTETS)
    except UnicodeEncodeError:
        return None
    if marked.isascii():
        return marked
    if _NUL_MARK in marked:
        return None
    for marker in set(marked.translate(None, _ASCII)):
        marked = marked.replace(bytes((marker,)), bytes((ESC, marker & 0x7F)))
    return marked


def encode_gsm7(text: str) -> bytes:
    """Encode text to unpacked septets; extension characters become ESC pairs."""
    septets = try_encode_gsm7(text)
    if septets is None:
        raise UnencodableError(_GSM7, text, _first_unencodable(text))
    return septets


def is_gsm7(text: str) -> bool:
    """True when every character of text is in the default alphabet or its extension."""
    return try_encode_gsm7(text) is not None


def _decode_run(septets: bytes, offset: int, errors: ErrorMode) -> str:
    try:
        return codecs.charmap_decode(septets, errors, BASIC)[0]
    except UnicodeDecodeError as exc:
        octet = septets[exc.start]
        raise DecodeError(_GSM7, offset + exc.start, f"0x{octet:02X} is not a septet") from None


def decode_gsm7(septets: bytes, errors: ErrorMode = "strict") -> str:
    """Decode unpacked septets. An ESC not followed by an extension-table septet is an error,
    or U+FFFD for the ESC when errors is "replace" (the following septet is kept)."""
    if ESC not in septets:
        return _decode_run(septets, 0, errors)
    runs = septets.split(b"\x1b")
    out = [_decode_run(runs[0], 0, errors)]
    position = len(runs[0])  # index of the ESC that precedes each following run
    for run in runs[1:]:
        char = EXTENSION.get(run[0]) if run else None
        if char is not None:
            out.append(char)
            out.append(_decode_run(run[1:], position + 2, errors))
        elif errors == "replace":
            out.append("\ufffd")
            out.append(_decode_run(run, position + 1, errors))
        elif not run and position + 1 == len(septets):
            raise DecodeError(_GSM7, position, "escape at the end of the text")
        else:
            follower = run[0] if run else ESC
            raise DecodeError(
                _GSM7, position, f"escape followed by 0x{follower:02X}, not in the extension table"
            )
        position += 1 + len(run)
    return "".join(out)


def udh_fill_bits(udh_length: int) -> int:
    """Fill bits that align the first septet after a UDH of udh_length octets (UDHL included)
    on a septet boundary (23.040 9.2.3.24)."""
    return (7 - (udh_length * 8) % 7) % 7


@lru_cache(maxsize=64)
def _lane_masks(lanes: int) -> tuple[int, ...]:
    """Bit masks repeated over `lanes` 64-bit lanes, little-endian, for (un)packing."""

    def mask(pattern: int) -> int:
        return int.from_bytes(pattern.to_bytes(8, "little") * lanes, "little")

    return (
        mask(0x00FF_00FF_00FF_00FF),  # even octets of each 16-bit group
        mask(0xFF00_FF00_FF00_FF00),  # odd octets
        mask(0x0000_FFFF_0000_FFFF),  # low half of each 32-bit group
        mask(0xFFFF_0000_FFFF_0000),
        mask(0x0000_0000_FFFF_FFFF),  # low half of each 64-bit lane
        mask(0xFFFF_FFFF_0000_0000),
        mask(0x007F_007F_007F_007F),  # one septet in each 16-bit group
        mask(0x3F80_3F80_3F80_3F80),  # second septet of each 16-bit group
        mask(0x0000_3FFF_0000_3FFF),  # two septets in each 32-bit group
        mask(0x0FFF_C000_0FFF_C000),
        mask(0x0000_0000_0FFF_FFFF),  # four septets in each 64-bit lane
        mask(0x00FF_FFFF_F000_0000),
    )


def pack_septets(septets: bytes, fill_bits: int = 0, *, cr_padding: bool = False) -> bytes:
    """Pack unpacked septets, preceded by fill_bits zero bits (0-6).

    cr_padding applies the 23.038 6.1.2.3.1 rule for transports that count octets, not
    septets (SMPP's sm_length): 7 spare bits at the end would read as '@', so a CR fills
    them. The rule's other half, a second CR after a text that ends in CR on an octet
    boundary, is left out: it would push a full part past 140 octets.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0-6, got {fill_bits}")
    if not septets.isascii():
        raise ValueError("septets must all be below 0x80")
    if cr_padding and (fill_bits + 7 * len(septets)) % 8 == 1:
        septets += b"\r"
    count = len(septets)
    if count == 0:
        return bytes((fill_bits + 7) // 8)  # the fill bits alone still take an octet
    # Compact each 64-bit lane of eight septets into 56 bits with whole-integer mask and
    # shift steps instead of a loop per septet.
    lanes = (count + 7) // 8
    m = _lane_masks(lanes)
    x = int.from_bytes(septets, "little")
    x = (x & m[0]) | ((x & m[1]) >> 1)
    x = (x & m[2]) | ((x & m[3]) >> 2)
    x = (x & m[4]) | ((x & m[5]) >> 4)
    lane_bytes = bytearray(x.to_bytes(lanes * 8, "little"))
    del lane_bytes[7::8]  # the top octet of every lane is empty now
    size = (fill_bits + 7 * count + 7) // 8
    if fill_bits:
        shifted = int.from_bytes(lane_bytes, "little") << fill_bits
        return shifted.to_bytes(size, "little")
    return bytes(lane_bytes[:size])


def unpack_septets(data: bytes, fill_bits: int = 0, count: int | None = None) -> bytes:
    """Unpack septets after fill_bits leading fill bits.

    Without count, every whole septet in data is read, except that a final CR ending exactly
    on an octet boundary is padding and dropped (23.038 6.1.2.3.1). Seven zero spare bits
    from a sender that did not pad still read as a final '@': pass count when it is known.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0-6, got {fill_bits}")
    available = (len(data) * 8 - fill_bits) // 7 if data else 0
    if count is None:
        septets = unpack_septets(data, fill_bits, available)
        if septets.endswith(b"\r") and (len(data) * 8 - fill_bits) % 7 == 0:
            return septets[:-1]
        return septets
    if not 0 <= count <= available:
        raise ValueError(f"{len(data)} octets hold {available} septets, not {count}")
    if count == 0:
        return b""
    lanes = (count + 7) // 8
    used = data[: (fill_bits + 7 * count + 7) // 8]
    packed = (int.from_bytes(used, "little") >> fill_bits).to_bytes(lanes * 7 + 1, "little")
    spread = bytearray(lanes * 8)
    for k in range(7):  # insert an empty octet after every seven
        spread[k::8] = packed[k : lanes * 7 : 7]
    m = _lane_masks(lanes)
    x = int.from_bytes(spread, "little")
    x = (x & m[10]) | ((x & m[11]) << 4)
    x = (x & m[8]) | ((x & m[9]) << 2)
    x = (x & m[6]) | ((x & m[7]) << 1)
    return x.to_bytes(lanes * 8, "little")[:count]
