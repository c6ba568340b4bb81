import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.text import Concat, InformationElement, Udh, UdhError, concat_udh, parse_udh


def test_parse_concat_8bit() -> None:
    udh, rest = parse_udh(bytes.fromhex("05 00 03 2a 02 01") + b"body")
    assert udh.elements == (InformationElement(0x00, bytes.fromhex("2a 02 01")),)
    assert udh.concat == Concat(reference=0x2A, total=2, seqnum=1)
    assert udh.length == 6
    assert rest == b"body"


def test_parse_concat_16bit() -> None:
    udh, rest = parse_udh(bytes.fromhex("06 08 04 12 34 03 02 00 61"))
    assert udh.concat == Concat(reference=0x1234, total=3, seqnum=2, wide_reference=True)
    assert udh.length == 7
    assert rest == b"\x00\x61"


def test_other_elements_are_kept_raw() -> None:
    # 16-bit application ports (WAP push 2948 <- 9200) followed by an 8-bit concat IE.
    data = bytes.fromhex("0b 05 04 0b 84 23 f0 00 03 07 02 02") + b"wsp"
    udh, rest = parse_udh(data)
    assert udh.elements == (
        InformationElement(0x05, bytes.fromhex("0b 84 23 f0")),
        InformationElement(0x00, bytes.fromhex("07 02 02")),
    )
    assert udh.concat == Concat(7, 2, 2)
    assert rest == b"wsp"
    assert udh.encode() + rest == data


def test_empty_udh() -> None:
    udh, rest = parse_udh(b"\x00abc")
    assert udh.elements == ()
    assert udh.concat is None
    assert rest == b"abc"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("", "empty"),
        ("05 00 03 2a 02", "runs past"),
        ("01 00", "no length octet"),
        ("04 00 03 2a 02", "past the end"),
        ("05 00 04 2a 02 01 ff ff", "past the end"),
    ],
)
def test_malformed(data: str, fragment: str) -> None:
    with pytest.raises(UdhError, match=fragment):
        parse_udh(bytes.fromhex(data))


@pytest.mark.parametrize(
    "data",
    [
        "05 00 03 2a 00 00",  # zero total
        "05 00 03 2a 02 00",  # part 0
        "05 00 03 2a 02 03",  # part 3 of 2
        "04 00 02 2a 02",  # concat IE of the wrong length
    ],
)
def test_invalid_concat_is_ignored(data: str) -> None:
    # 23.040 9.2.3.24.1: the receiver ignores such an IE, so the message stands alone.
    udh, _ = parse_udh(bytes.fromhex(data))
    assert len(udh.elements) == 1
    assert udh.concat is None


def test_concat_udh_bytes() -> None:
    assert concat_udh(0x2A, 3, 1) == bytes.fromhex("05 00 03 2a 03 01")
    assert concat_udh(0x1234, 3, 3, wide_reference=True) == bytes.fromhex("06 08 04 12 34 03 03")


@pytest.mark.parametrize(
    ("reference", "total", "seqnum", "wide"),
    [
        (256, 2, 1, False),
        (0x10000, 2, 1, True),
        (-1, 2, 1, False),
        (1, 2, 0, False),
        (1, 2, 3, False),
        (1, 256, 1, False),
    ],
)
def test_concat_udh_rejects_values_that_do_not_fit(
    reference: int, total: int, seqnum: int, wide: bool
) -> None:
    with pytest.raises(UdhError):
        concat_udh(reference, total, seqnum, wide_reference=wide)


def test_oversized_udh_cannot_be_encoded() -> None:
    udh = Udh((InformationElement(0x70, bytes(200)), InformationElement(0x71, bytes(100))))
    with pytest.raises(UdhError, match="UDHL"):
        udh.encode()


elements = st.lists(
    st.builds(InformationElement, st.integers(0, 0xFF), st.binary(max_size=20)), max_size=6
)


@settings(max_examples=150)
@given(elements, st.binary(max_size=50))
def test_build_parse_round_trip(ies: list[InformationElement], rest: bytes) -> None:
    udh = Udh(tuple(ies))
    encoded = udh.encode()
    assert len(encoded) == udh.length
    assert parse_udh(encoded + rest) == (udh, rest)


@settings(max_examples=150)
@given(st.binary(max_size=60))
def test_arbitrary_bytes_parse_or_raise_udh_error(data: bytes) -> None:
    try:
        udh, rest = parse_udh(data)
    except UdhError:
        return
    assert udh.encode() + rest == data
