"""SMS text: GSM 03.38, UCS-2, Latin-1 and binary codings, segmentation and reassembly."""

from smsgate.text.data_coding import DATA_CODING, DataCoding, interpret_data_coding
from smsgate.text.encoding import Encoding, decode_text, encode_text
from smsgate.text.errors import (
    DecodeError,
    TextError,
    TooManySegmentsError,
    UdhError,
    UnencodableError,
)
from smsgate.text.gsm7 import (
    ErrorMode,
    decode_gsm7,
    encode_gsm7,
    is_gsm7,
    pack_septets,
    try_encode_gsm7,
    udh_fill_bits,
    unpack_septets,
)
from smsgate.text.reassembly import GroupKey, ReassembledMessage, Reassembler
from smsgate.text.segmentation import (
    DEFAULT_MAX_SEGMENTS,
    UDHI,
    Concatenation,
    EncodedMessage,
    Measurement,
    Part,
    Sar,
    count_segments,
    encode_binary_with_header,
    encode_message,
    measure,
)
from smsgate.text.udh import Concat, InformationElement, Udh, concat_udh, parse_udh

__all__ = [
    "DATA_CODING",
    "DEFAULT_MAX_SEGMENTS",
    "UDHI",
    "Concat",
    "Concatenation",
    "DataCoding",
    "DecodeError",
    "EncodedMessage",
    "Encoding",
    "ErrorMode",
    "GroupKey",
    "InformationElement",
    "Measurement",
    "Part",
    "ReassembledMessage",
    "Reassembler",
    "Sar",
    "TextError",
    "TooManySegmentsError",
    "Udh",
    "UdhError",
    "UnencodableError",
    "concat_udh",
    "count_segments",
    "decode_gsm7",
    "decode_text",
    "encode_binary_with_header",
    "encode_gsm7",
    "encode_message",
    "encode_text",
    "interpret_data_coding",
    "is_gsm7",
    "measure",
    "pack_septets",
    "parse_udh",
    "try_encode_gsm7",
    "udh_fill_bits",
    "unpack_septets",
]
