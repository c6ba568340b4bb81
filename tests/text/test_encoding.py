import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.text import (
    DecodeError,
    Encoding,
    TextError,
    UnencodableError,
    decode_text,
    encode_text,
)
from tests.text.strategies import gsm_text, unicode_text


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("€", Encoding.UCS2, "20 ac"),
        ("😀", Encoding.UCS2, "d8 3d de 00"),
        ("aж", Encoding.UCS2, "00 61 04 36"),
        ("é", Encoding.LATIN1, "e9"),
        ("A~", Encoding.IA5, "41 7e"),
        ("€", Encoding.GSM7, "1b 65"),
    ],
)
def test_known_bytes(text: str, encoding: Encoding, expected: str) -> None:
    assert encode_text(text, encoding) == bytes.fromhex(expected)
    assert decode_text(bytes.fromhex(expected), encoding) == text


@pytest.mark.parametrize(
    ("text", "encoding", "position"),
    [
        ("ab€", Encoding.LATIN1, 2),
        ("abcé", Encoding.IA5, 3),
        ("x\ud800y", Encoding.UCS2, 1),  # a lone surrogate has no UTF-16 form
    ],
)
def test_unencodable(text: str, encoding: Encoding, position: int) -> None:
    with pytest.raises(UnencodableError) as info:
        encode_text(text, encoding)
    assert info.value.position == position
    assert info.value.encoding == encoding.value
    assert encoding.value in str(info.value)


@pytest.mark.parametrize(
    ("data", "encoding", "position"),
    [
        ("00 61 00", Encoding.UCS2, 2),  # odd length
        ("00 61 dc 00", Encoding.UCS2, 2),  # low surrogate first
        ("d8 3d 00 61", Encoding.UCS2, 0),  # high surrogate without its low half
        ("41 c3", Encoding.IA5, 1),
    ],
)
def test_undecodable(data: str, encoding: Encoding, position: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode_text(bytes.fromhex(data), encoding)
    assert info.value.position == position
    assert "\ufffd" in decode_text(bytes.fromhex(data), encoding, "replace")


def test_binary_is_bytes_only() -> None:
    with pytest.raises(TextError, match="bytes"):
        encode_text("abc", Encoding.BINARY)
    with pytest.raises(TextError, match="bytes"):
        decode_text(b"abc", Encoding.BINARY)


def test_encoding_names() -> None:
    assert [e.value for e in Encoding] == ["gsm7", "ia5", "latin1", "ucs2", "binary"]
    assert Encoding("latin1") is Encoding.LATIN1


@settings(max_examples=150)
@given(unicode_text())
def test_ucs2_round_trip(text: str) -> None:
    data = encode_text(text, Encoding.UCS2)
    assert len(data) == 2 * sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    assert decode_text(data, Encoding.UCS2) == text


@settings(max_examples=100)
@given(st.text(alphabet=st.characters(max_codepoint=0xFF)))
def test_latin1_round_trip(text: str) -> None:
    assert decode_text(encode_text(text, Encoding.LATIN1), Encoding.LATIN1) == text


@settings(max_examples=100)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_ia5_round_trip(text: str) -> None:
    assert decode_text(encode_text(text, Encoding.IA5), Encoding.IA5) == text


@settings(max_examples=100)
@given(gsm_text())
def test_gsm7_round_trip_through_dispatch(text: str) -> None:
    assert decode_text(encode_text(text, Encoding.GSM7), Encoding.GSM7) == text
