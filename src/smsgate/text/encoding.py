"""The encodings a message body can be in, and text <-> bytes for each of them."""

import codecs
from collections.abc import Callable
from enum import StrEnum
from typing import Final

from smsgate.text.errors import DecodeError, TextError, UnencodableError
from smsgate.text.gsm7 import ErrorMode, decode_gsm7, encode_gsm7


class Encoding(StrEnum):
    GSM7 = "gsm7"  # GSM 03.38 default alphabet, unpacked septets unless packing is asked for
    IA5 = "ia5"  # IA5 / ASCII
    LATIN1 = "latin1"  # ISO 8859-1
    UCS2 = "ucs2"  # UTF-16BE: UCS-2 plus surrogate pairs for characters outside the BMP
    BINARY = "binary"  # 8-bit data, bytes in and bytes out


# The codec functions themselves: looking a codec up by name costs more than encoding a
# short message.
_ENCODERS: Final[dict[Encoding, Callable[[str], tuple[bytes, int]]]] = {
    Encoding.IA5: codecs.ascii_encode,
    Encoding.LATIN1: codecs.latin_1_encode,
    Encoding.UCS2: codecs.utf_16_be_encode,
}
_DECODERS: Final[dict[Encoding, Callable[[bytes, str], tuple[str, int]]]] = {
    Encoding.IA5: codecs.ascii_decode,
    Encoding.LATIN1: codecs.latin_1_decode,
    Encoding.UCS2: lambda data, errors: codecs.utf_16_be_decode(data, errors, True),
}


def encode_text(text: str, encoding: Encoding) -> bytes:
    """Encode text; GSM-7 gives unpacked septets. Raises UnencodableError naming the first
    character that does not fit."""
    encoder = _ENCODERS.get(encoding)
    if encoder is None:
        if encoding is Encoding.GSM7:
            return encode_gsm7(text)
        raise TextError("binary messages take bytes, not text")
    try:
        return encoder(text)[0]
    except UnicodeEncodeError as exc:
        raise UnencodableError(encoding.value, text, exc.start) from None


def decode_text(data: bytes, encoding: Encoding, errors: ErrorMode = "strict") -> str:
    """Decode a message body. With errors="replace", undecodable units become U+FFFD."""
    decoder = _DECODERS.get(encoding)
    if decoder is None:
        if encoding is Encoding.GSM7:
            return decode_gsm7(data, errors)
        raise TextError("binary messages have no text; use the bytes")
    try:
        return decoder(data, errors)[0]
    except UnicodeDecodeError as exc:
        raise DecodeError(encoding.value, exc.start, exc.reason) from None
