import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.text import (
    UDHI,
    Concatenation,
    EncodedMessage,
    Encoding,
    Measurement,
    Part,
    Sar,
    TextError,
    TooManySegmentsError,
    UnencodableError,
    count_segments,
    decode_gsm7,
    encode_binary_with_header,
    encode_message,
    measure,
    parse_udh,
    udh_fill_bits,
    unpack_septets,
)
from tests.text.strategies import any_text, gsm_text, unicode_text

UDH8, UDH16, SAR, PAYLOAD = (
    Concatenation.UDH8,
    Concatenation.UDH16,
    Concatenation.SAR,
    Concatenation.PAYLOAD,
)
EMOJI = "\U0001f600"  # two UTF-16 units


def bodies(message: EncodedMessage) -> list[bytes]:
    """The text octets of each part, UDH stripped."""
    out = []
    for part in message.parts:
        data = part.short_message
        if part.esm_class & UDHI:
            _, data = parse_udh(data)
        out.append(data)
    return out


@pytest.mark.parametrize(
    ("text", "concatenation", "segments"),
    [
        ("a" * 160, UDH8, 1),
        ("a" * 161, UDH8, 2),
        ("a" * 306, UDH8, 2),
        ("a" * 307, UDH8, 3),
        ("a" * 459, UDH8, 3),
        ("a" * 460, UDH8, 4),
        ("a" * 161, UDH16, 2),
        ("a" * 304, UDH16, 2),
        ("a" * 305, UDH16, 3),
        ("a" * 320, SAR, 2),
        ("a" * 321, SAR, 3),
        ("a" * 5000, PAYLOAD, 1),
        ("€" * 80, UDH8, 1),  # 160 septets
        ("€" * 81, UDH8, 2),
        ("a" * 159 + "€", UDH8, 2),  # 161 septets
        ("ж" * 70, UDH8, 1),
        ("ж" * 71, UDH8, 2),
        ("ж" * 134, UDH8, 2),
        ("ж" * 135, UDH8, 3),
        ("ж" * 132, UDH16, 2),
        ("ж" * 133, UDH16, 3),
        ("ж" * 140, SAR, 2),
        ("ж" * 141, SAR, 3),
        (EMOJI * 35, UDH8, 1),  # 70 units
        (EMOJI * 36, UDH8, 2),
        ("", UDH8, 1),
    ],
)
def test_segment_boundaries(text: str, concatenation: Concatenation, segments: int) -> None:
    assert count_segments(text, concatenation=concatenation) == segments
    message = encode_message(text, reference=1, concatenation=concatenation, max_segments=255)
    assert message.segments == segments


def test_escape_pair_is_not_split() -> None:
    text = "a" * 152 + "€" + "b" * 10  # the ESC would be septet 153 of part 1
    message = encode_message(text, reference=9)
    assert [len(b) for b in bodies(message)] == [152, 12]
    assert bodies(message)[1][:2] == b"\x1b\x65"
    assert message.units == 164


def test_escape_pair_just_fits() -> None:
    text = "a" * 151 + "€" + "b" * 10
    assert [len(b) for b in bodies(encode_message(text, reference=9))] == [153, 10]


def test_surrogate_pair_is_not_split() -> None:
    text = "ж" * 66 + EMOJI + "ж" * 10  # the high surrogate would be unit 67 of part 1
    message = encode_message(text, reference=9)
    assert message.encoding is Encoding.UCS2
    assert message.units == 78
    assert message.characters == 77
    assert [len(b) for b in bodies(message)] == [132, 24]
    assert bodies(message)[1][:4] == EMOJI.encode("utf-16-be")


def test_udh8_parts() -> None:
    message = encode_message("a" * 200, reference=0x2A)
    assert message.parts == (
        Part(bytes.fromhex("05 00 03 2a 02 01") + b"a" * 153, UDHI, None),
        Part(bytes.fromhex("05 00 03 2a 02 02") + b"a" * 47, UDHI, None),
    )
    assert message.encoding is Encoding.GSM7
    assert message.data_coding == 0
    assert message.concatenation is UDH8


def test_udh16_parts() -> None:
    message = encode_message("ж" * 100, reference=0x1234, concatenation=UDH16)
    assert [p.short_message[:7] for p in message.parts] == [
        bytes.fromhex("06 08 04 12 34 02 01"),
        bytes.fromhex("06 08 04 12 34 02 02"),
    ]
    assert all(p.esm_class == UDHI for p in message.parts)
    assert message.data_coding == 8


def test_sar_parts() -> None:
    message = encode_message("a" * 200, reference=0x1234, concatenation=SAR)
    assert message.parts == (
        Part(b"a" * 160, 0, Sar(0x1234, 2, 1)),
        Part(b"a" * 40, 0, Sar(0x1234, 2, 2)),
    )


def test_payload_is_one_part_without_header() -> None:
    message = encode_message("ж" * 500, reference=1, concatenation=PAYLOAD)
    assert message.parts == (Part("ж".encode("utf-16-be") * 500, 0, None),)


def test_payload_size_limit() -> None:
    with pytest.raises(TextError, match="message_payload"):
        encode_message(bytes(0x10000), reference=1, concatenation=PAYLOAD)


def test_single_part_has_no_concatenation_data() -> None:
    for concatenation in Concatenation:
        message = encode_message("hi", reference=5, concatenation=concatenation)
        assert message.parts == (Part(b"hi", 0, None),)


@pytest.mark.parametrize(
    ("reference", "concatenation", "expected"),
    [(0x1FF, UDH8, 0xFF), (0x10001, UDH16, 1), (0x12345, SAR, 0x2345)],
)
def test_reference_wraps(reference: int, concatenation: Concatenation, expected: int) -> None:
    message = encode_message("a" * 400, reference=reference, concatenation=concatenation)
    first = message.parts[0]
    if first.sar is not None:
        assert first.sar.msg_ref_num == expected
    else:
        udh, _ = parse_udh(first.short_message)
        assert udh.concat is not None
        assert udh.concat.reference == expected


def test_negative_reference() -> None:
    with pytest.raises(ValueError, match="reference"):
        encode_message("a", reference=-1)


def test_segment_cap() -> None:
    text = "a" * (153 * 10 + 1)
    assert count_segments(text) == 11
    with pytest.raises(TooManySegmentsError) as info:
        encode_message(text, reference=1)
    assert (info.value.segments, info.value.limit) == (11, 10)
    assert "11 segments" in str(info.value)
    assert encode_message(text, reference=1, max_segments=11).segments == 11
    assert encode_message("a" * 1530, reference=1).segments == 10


def test_cap_cannot_exceed_what_an_octet_numbers() -> None:
    with pytest.raises(TooManySegmentsError) as info:
        encode_message("a" * (153 * 255 + 1), reference=1, max_segments=1000)
    assert info.value.limit == 255


def test_automatic_choice() -> None:
    assert measure("Hello {world} €") == Measurement(Encoding.GSM7, 0, 15, 18, 1)
    assert measure("Привет") == Measurement(Encoding.UCS2, 8, 6, 6, 1)
    assert measure("Ça va").encoding is Encoding.GSM7
    assert measure("ça va").encoding is Encoding.UCS2  # ç is not in the default alphabet
    assert measure("a\x1bb").encoding is Encoding.UCS2
    assert measure(b"\x00\xff") == Measurement(Encoding.BINARY, 4, 2, 2, 1)


@pytest.mark.parametrize(
    ("text", "encoding", "data_coding", "body"),
    [
        ("é€", Encoding.UCS2, 8, "00 e9 20 ac"),
        ("é", Encoding.LATIN1, 3, "e9"),
        ("ab", Encoding.IA5, 1, "61 62"),
        ("é", Encoding.GSM7, 0, "05"),
    ],
)
def test_explicit_encoding(text: str, encoding: Encoding, data_coding: int, body: str) -> None:
    message = encode_message(text, reference=1, encoding=encoding)
    assert (message.encoding, message.data_coding) == (encoding, data_coding)
    assert message.parts[0].short_message == bytes.fromhex(body)


@pytest.mark.parametrize(
    ("text", "encoding", "position"),
    [("abж", Encoding.GSM7, 2), ("a€", Encoding.LATIN1, 1), ("é", Encoding.IA5, 0)],
)
def test_explicit_encoding_that_cannot_hold_the_text(
    text: str, encoding: Encoding, position: int
) -> None:
    with pytest.raises(UnencodableError) as info:
        encode_message(text, reference=1, encoding=encoding)
    assert info.value.position == position
    with pytest.raises(UnencodableError):
        count_segments(text, encoding=encoding)


def test_binary() -> None:
    data = bytes(range(256)) * 2
    message = encode_message(data, reference=3)
    assert message.encoding is Encoding.BINARY
    assert message.data_coding == 4
    assert [len(b) for b in bodies(message)] == [134, 134, 134, 110]
    assert b"".join(bodies(message)) == data
    with pytest.raises(TextError, match="binary"):
        encode_message(data, reference=3, encoding=Encoding.UCS2)
    with pytest.raises(TextError, match="bytes"):
        encode_message("text", reference=3, encoding=Encoding.BINARY)


def test_latin1_octet_limits() -> None:
    assert count_segments("é" * 140, encoding=Encoding.LATIN1) == 1
    assert count_segments("é" * 141, encoding=Encoding.LATIN1) == 2
    assert count_segments("é" * 266, encoding=Encoding.LATIN1, concatenation=UDH16) == 2
    assert count_segments("é" * 267, encoding=Encoding.LATIN1, concatenation=UDH16) == 3


def test_packed_gsm7_parts() -> None:
    message = encode_message("hello" * 40, reference=0x2A, packed=True)
    assert [len(p.short_message) for p in message.parts] == [
        140,
        6 + 42,
    ]  # 1 fill bit + 47 septets = 330 bits
    udh, rest = parse_udh(message.parts[1].short_message)
    assert udh.concat is not None
    assert decode_gsm7(unpack_septets(rest, udh_fill_bits(udh.length), 47)) == ("hello" * 40)[153:]
    assert encode_message("hello", reference=1, packed=True).parts[0].short_message == (
        bytes.fromhex("e8 32 9b fd 06")
    )


def test_packed_only_applies_to_gsm7() -> None:
    message = encode_message("ж", reference=1, packed=True)
    assert message.parts[0].short_message == b"\x04\x36"


# -- properties -------------------------------------------------------------------------------

concatenations = st.sampled_from([UDH8, UDH16, SAR])


def air_octets(part: Part, encoding: Encoding, packed: bool) -> int:
    """Octets the part occupies in TP-UD once the SMSC packs unpacked septets."""
    if encoding is not Encoding.GSM7 or packed:
        return len(part.short_message)
    udh_length = 0
    body = part.short_message
    if part.esm_class & UDHI:
        udh, body = parse_udh(body)
        udh_length = udh.length
    return udh_length + (udh_fill_bits(udh_length) + 7 * len(body) + 7) // 8


@settings(max_examples=300, deadline=None)
@given(any_text(1700), st.sampled_from(list(Concatenation)), st.booleans())
def test_count_agrees_with_split(text: str, concatenation: Concatenation, packed: bool) -> None:
    count = count_segments(text, concatenation=concatenation)
    assert measure(text, concatenation=concatenation).segments == count
    if count > 10:
        with pytest.raises(TooManySegmentsError):
            encode_message(text, reference=1, concatenation=concatenation, packed=packed)
        return
    message = encode_message(text, reference=1, concatenation=concatenation, packed=packed)
    assert message.segments == count


@settings(max_examples=200, deadline=None)
@given(any_text(1700), concatenations, st.booleans())
def test_parts_fit_and_never_split_pairs(
    text: str, concatenation: Concatenation, packed: bool
) -> None:
    message = encode_message(
        text, reference=77, concatenation=concatenation, packed=packed, max_segments=255
    )
    for part in message.parts:
        assert air_octets(part, message.encoding, packed) <= 140
    if packed and message.encoding is Encoding.GSM7:
        return
    for body in bodies(message):
        if message.encoding is Encoding.GSM7:
            assert not body.endswith(b"\x1b")
        else:
            assert len(body) % 2 == 0
            if body:
                assert not 0xDC <= body[0] <= 0xDF  # no orphaned low surrogate
                assert not 0xD8 <= body[-2] <= 0xDB  # no dangling high surrogate


@settings(max_examples=100, deadline=None)
@given(gsm_text(1200))
def test_gsm_parts_concatenate_to_the_text(text: str) -> None:
    message = encode_message(text, reference=1, max_segments=255)
    assert message.units == len(b"".join(bodies(message)))
    assert decode_gsm7(b"".join(bodies(message))) == text


@settings(max_examples=100, deadline=None)
@given(unicode_text(600))
def test_ucs2_parts_concatenate_to_the_text(text: str) -> None:
    message = encode_message(text, reference=1, encoding=Encoding.UCS2, max_segments=255)
    assert b"".join(bodies(message)).decode("utf-16-be") == text


def reference_split(text: str, weights: list[int], single: int, multi: int) -> list[str]:
    """Greedy split by character weight (septets or UTF-16 units), the model of 23.040."""
    if sum(weights) <= single:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char, weight in zip(text, weights, strict=True):
        if used + weight > multi:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += weight
    parts.append("".join(current))
    return parts


LIMITS = {
    (Encoding.GSM7, UDH8): (160, 153),
    (Encoding.GSM7, UDH16): (160, 152),
    (Encoding.GSM7, SAR): (160, 160),
    (Encoding.UCS2, UDH8): (70, 67),
    (Encoding.UCS2, UDH16): (70, 66),
    (Encoding.UCS2, SAR): (70, 70),
}


@settings(max_examples=200, deadline=None)
@given(any_text(1200), concatenations)
def test_split_matches_character_model(text: str, concatenation: Concatenation) -> None:
    message = encode_message(text, reference=1, concatenation=concatenation, max_segments=255)
    if message.encoding is Encoding.GSM7:
        weights = [1 + (c in "\f^{}\\[~]|€") for c in text]
        got = [decode_gsm7(body) for body in bodies(message)]
    else:
        weights = [1 + (ord(c) > 0xFFFF) for c in text]
        got = [body.decode("utf-16-be") for body in bodies(message)]
    single, multi = LIMITS[message.encoding, concatenation]
    assert got == reference_split(text, weights, single, multi)


PORTS = bytes.fromhex("05040b8423f0")  # application ports IE, 16-bit


@given(st.binary(min_size=1, max_size=1200), st.integers(0, 1000))
def test_binary_with_header_repeats_it_in_every_part(body: bytes, reference: int) -> None:
    encoded = encode_binary_with_header(body, PORTS, reference=reference, max_segments=255)
    assert encoded.encoding is Encoding.BINARY and encoded.characters == len(body)
    data = b""
    for seq, part in enumerate(encoded.parts, 1):
        assert part.esm_class == UDHI and len(part.short_message) <= 140
        udh, chunk = parse_udh(part.short_message)
        assert udh.elements[0].iei == 0x05 and udh.elements[0].data == PORTS[2:]
        if encoded.segments == 1:
            assert len(udh.elements) == 1
        else:
            assert udh.concat is not None
            assert (udh.concat.reference, udh.concat.total, udh.concat.seqnum) == (
                reference & 0xFF,
                encoded.segments,
                seq,
            )
        data += chunk
    assert data == body
    # parts are full but for the last: 133 octets alone, 128 beside the concatenation IE
    assert encoded.segments == (1 if len(body) <= 133 else -(-len(body) // 128))


def test_binary_with_header_refusals() -> None:
    with pytest.raises(TooManySegmentsError):
        encode_binary_with_header(bytes(128 * 3 + 1), PORTS, reference=1, max_segments=3)
    big = bytes((0x70, 134)) + bytes(134)  # leaves 3 octets: no room beside the concat IE
    with pytest.raises(TextError, match="no room"):
        encode_binary_with_header(bytes(10), big, reference=1)
