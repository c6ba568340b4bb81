"""Segment counts checked against smsutil, an independent implementation (8-bit UDH limits)."""

import pytest
import smsutil  # type: ignore[import-untyped]
from hypothesis import assume, given, settings

from smsgate.text import (
    Encoding,
    count_segments,
    decode_gsm7,
    encode_gsm7,
    encode_message,
    parse_udh,
)
from tests.text.strategies import any_text, gsm_text

pytestmark = pytest.mark.interop

EMOJI = "\U0001f600"

BOUNDARY_CASES = {
    "gsm 160": ("a" * 160, 1),
    "gsm 161": ("a" * 161, 2),
    "gsm 306": ("a" * 306, 2),
    "gsm 307": ("a" * 307, 3),
    "gsm 152 + euro, 154 septets": ("a" * 152 + "€", 1),
    "gsm escape straddling part 1": ("a" * 152 + "€" + "b" * 10, 2),
    "gsm 159 + euro, 161 septets": ("a" * 159 + "€", 2),
    "gsm 80 euros": ("€" * 80, 1),
    "gsm 81 euros": ("€" * 81, 2),
    "ucs2 70": ("ж" * 70, 1),
    "ucs2 71": ("ж" * 71, 2),
    "ucs2 134": ("ж" * 134, 2),
    "ucs2 135": ("ж" * 135, 3),
    "surrogate straddling part 1": ("ж" * 66 + EMOJI + "ж" * 10, 2),
    "surrogate pair as units 69-70": ("ж" * 68 + EMOJI, 1),
    "surrogate pair as units 70-71": ("ж" * 69 + EMOJI, 2),
    "35 emoji": (EMOJI * 35, 1),
    "36 emoji": (EMOJI * 36, 2),
    "empty": ("", 1),
}


@pytest.mark.parametrize(("text", "segments"), BOUNDARY_CASES.values(), ids=BOUNDARY_CASES)
def test_boundary_counts_agree(text: str, segments: int) -> None:
    assert count_segments(text) == segments
    assert len(smsutil.split(text).parts) == segments


@pytest.mark.parametrize(("text", "segments"), BOUNDARY_CASES.values(), ids=BOUNDARY_CASES)
def test_boundary_parts_hold_the_same_characters(text: str, segments: int) -> None:
    message = encode_message(text, reference=1)
    ours = []
    for part in message.parts:
        body = parse_udh(part.short_message)[1] if part.esm_class else part.short_message
        gsm = message.encoding is Encoding.GSM7
        ours.append(decode_gsm7(body) if gsm else body.decode("utf-16-be"))
    assert ours == [part.content for part in smsutil.split(text).parts]


def test_raw_escape_character_disagreement() -> None:
    # smsutil counts U+001B as a GSM character; it is the escape code, not a character, so
    # it cannot be sent in GSM-7 (0x1B + 'b' would decode as an unknown escape): UCS-2 is right.
    text = "a\x1b" + "b" * 150
    assert len(smsutil.split(text).parts) == 1
    assert count_segments(text) == 3


@settings(max_examples=150, deadline=None)
@given(any_text(1000))
def test_counts_agree_on_any_text(text: str) -> None:
    assume("\x1b" not in text)  # the known disagreement above
    assert count_segments(text) == len(smsutil.split(text).parts)


@settings(max_examples=100, deadline=None)
@given(gsm_text(300))
def test_gsm7_bytes_agree(text: str) -> None:
    assert encode_gsm7(text) == text.encode("gsm0338")
    assert decode_gsm7(encode_gsm7(text)) == bytes(encode_gsm7(text)).decode("gsm0338")
