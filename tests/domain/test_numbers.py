import random

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from smsgate.domain import generate_seed
from smsgate.domain.carrier_seed import (
    CALLING_CODES,
    PHONENUMBERS_VERSION,
    REGIONS,
    SHARED_CODE_REGIONS,
)
from smsgate.domain.errors import GatewayError
from smsgate.domain.numbers import (
    Destination,
    SourceKind,
    destination_from_smpp,
    parse_destination,
    parse_source,
    source_from_smpp,
)
from smsgate.smpp.constants import Npi, Ton


@pytest.mark.parametrize(
    ("value", "country", "e164", "code", "region"),
    [
        ("+819012345678", None, "819012345678", 81, "JP"),
        ("819012345678", None, "819012345678", 81, "JP"),
        ("0081 90 1234 5678", None, "819012345678", 81, "JP"),
        ("010-81-90-1234-5678", "JP", "819012345678", 81, "JP"),
        ("090-1234-5678", "JP", "819012345678", 81, "JP"),
        ("(090) 1234.5678", "jp", "819012345678", 81, "JP"),
        ("090\u30001234\u30005678", "JP", "819012345678", 81, "JP"),  # ideographic spaces
        ("9012345678", "JP", "819012345678", 81, "JP"),  # national without the trunk 0
        ("819012345678", "JP", "819012345678", 81, "JP"),  # own code without "+"
        ("+44 7700 900123", None, "447700900123", 44, "GB"),
        ("07400 123456", "GB", "447400123456", 44, "GB"),
        ("+1 (202) 555-0123", None, "12025550123", 1, "US"),
        ("2025550123", "US", "12025550123", 1, "US"),
        ("1-202-555-0123", "US", "12025550123", 1, "US"),
        ("011 44 7400 123456", "US", "447400123456", 44, "GB"),
        ("447400123456", "US", "447400123456", 44, "GB"),  # no US length: international
        ("+1 204 555 0123", None, "12045550123", 1, "CA"),
        ("+1 809 234 5678", None, "18092345678", 1, "DO"),
        ("+39 06 698 12345", None, "390669812345", 39, "VA"),
        ("+39 06 1234 5678", None, "390612345678", 39, "IT"),
        ("06 1234 5678", "IT", "390612345678", 39, "IT"),  # no trunk prefix: the 0 stays
        ("+44 1481 256789", None, "441481256789", 44, "GG"),
        ("+7 771 000 9998", None, "77710009998", 7, "KZ"),
        ("8 (916) 123-45-67", "RU", "79161234567", 7, "RU"),  # trunk prefix 8
        ("8 800 123-45-67", "RU", "78001234567", 7, "RU"),
        ("800 123-45-67", "RU", "78001234567", 7, "RU"),  # starts like the trunk prefix
        ("+882 3421 234", None, "8823421234", 882, "001"),
        # the trunk prefix written after the country code, a common mistake
        ("+81 090-1234-5678", None, "819012345678", 81, "JP"),
        ("81090-1234-5678", "JP", "819012345678", 81, "JP"),
        ("+44 (0)7400 123456", None, "447400123456", 44, "GB"),
        ("+1 1 202 555 0123", None, "12025550123", 1, "US"),
        ("+7 8 916 123-45-67", None, "79161234567", 7, "RU"),  # 8 can start numbers: by length
        ("+7 800 123-45-67", None, "78001234567", 7, "RU"),
    ],
)
def test_parse_destination(
    value: str, country: str | None, e164: str, code: int, region: str
) -> None:
    destination = parse_destination(value, default_country=country)
    assert destination == Destination(e164, code, region, Ton.INTERNATIONAL, Npi.ISDN)
    assert destination.plus == "+" + e164


@pytest.mark.parametrize(
    ("value", "country", "problem"),
    [
        ("+81 90 ABCD 5678", None, "other than digits"),
        ("", None, "empty"),
        ("+", None, "empty"),
        ("123", None, "too short for +1"),
        ("+81 123", None, "too short for +81 (JP): national numbers there have 8 to 13"),
        ("+44 20 1234 56", None, "wrong length for +44 (GB): national numbers there have 7, 9"),
        ("+999 1234 5678", None, "no assigned country calling code (999...)"),
        ("+0 1234 5678", None, "no assigned country calling code"),
        ("+1234567890123456", None, "16 digits; E.164 allows at most 15"),
        ("+4420123456789", None, "too long for +44 (GB)"),
        ("+1 1 202 555 01234", None, "too long for +1 (US)"),
        ("0901234567", None, "national number and no default country"),
        ("090-1234", "JP", "too short for +81 (JP)"),
        ("090-1234-5678", "XX", "unknown default country 'XX'"),
        ("+\u0668\u0661\u0669\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", None, ""),
        ("+81 " + "9 " * 40, None, "longer than 64 characters"),
        ("+81" + "9" * 70, None, "72 digits"),
    ],
)
def test_invalid_destinations_name_the_problem(
    value: str, country: str | None, problem: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        parse_destination(value, default_country=country)
    assert caught.value.code == "invalid_destination"
    assert problem in caught.value.detail


def test_strict_validation_uses_the_numbering_plan() -> None:
    # Ofcom's drama range has a valid length but is never assigned
    assert parse_destination("+447700900123").region == "GB"
    with pytest.raises(GatewayError, match="not a valid number"):
        parse_destination("+447700900123", strict=True)
    assert parse_destination("+819012345678", strict=True).e164 == "819012345678"
    # leading zeros are part of Italian numbers: phonenumbers must see them
    assert parse_destination("+390612345678", strict=True).region == "IT"


def test_the_hot_path_never_calls_phonenumbers(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("phonenumbers called on the hot path")

    monkeypatch.setattr(phonenumbers, "parse", forbidden)
    monkeypatch.setattr(phonenumbers, "is_valid_number", forbidden)
    monkeypatch.setattr(phonenumbers, "region_code_for_number", forbidden)
    assert parse_destination("+12045550123").region == "CA"
    assert parse_destination("090-1234-5678", default_country="JP").e164 == "819012345678"
    assert parse_source("MyShop").kind is SourceKind.ALPHANUMERIC


def _example_numbers() -> list[str]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.append(phonenumbers.format_number(example, PhoneNumberFormat.E164))
    return numbers


def _phonenumbers_region(e164: str) -> str | None:
    number = phonenumbers.parse("+" + e164)
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.region_code_for_number(number)


def test_every_regions_example_numbers_get_phonenumbers_region() -> None:
    numbers = _example_numbers()
    assert len(numbers) > 400
    for number in numbers:
        destination = parse_destination(number)
        assert destination.region == _phonenumbers_region(number[1:]), number
        assert destination.calling_code == phonenumbers.parse(number).country_code


def test_shared_calling_codes_agree_with_phonenumbers_on_sampled_numbers() -> None:
    """Random valid numbers under every shared calling code, and under every prefix of the
    generated region table, get the region phonenumbers gives them."""
    rng = random.Random(20240601)
    starts = ["1", "7", "44", "61", "262", "590", *SHARED_CODE_REGIONS]
    checked = 0
    for start in starts:
        code = next(c for c in (start[:1], start[:2], start[:3]) if c in CALLING_CODES)
        lengths = CALLING_CODES[code][1]
        for _ in range(40):
            length = len(code) + rng.choice(lengths)
            if length <= len(start) or length > 15:
                continue
            digits = start + "".join(rng.choices("0123456789", k=length - len(start)))
            expected = _phonenumbers_region(digits)
            if expected is not None and not (start == "1" and length == 8):
                # seven-digit +1 numbers: the documented exception (generate_seed)
                assert parse_destination("+" + digits).region == expected, digits
                checked += 1
    assert checked > 300


def test_generated_tables_match_the_installed_phonenumbers() -> None:
    regenerate = "phonenumbers changed: run python -m smsgate.domain.generate_seed"
    assert phonenumbers.__version__ == PHONENUMBERS_VERSION, regenerate
    assert generate_seed.calling_codes() == CALLING_CODES
    assert generate_seed.regions() == REGIONS
    assert set(CALLING_CODES) == {str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}
    # the quick shared codes; +1, +44 and +61 take most of the generator's minute
    for code in (7, 39, 47, 290, 358, 599):
        rows = dict(generate_seed.shared_code_regions(code))
        assert rows == {p: r for p, r in SHARED_CODE_REGIONS.items() if p.startswith(str(code))}


def test_prefix_language_walker() -> None:
    items = generate_seed._parse(r"(?:1481|[357-9]\d{3})\d{6}|8\d{6}(?:\d{2})?")
    assert generate_seed.can_start(items, "1481", open_end=False)
    assert not generate_seed.can_start(items, "1482", open_end=False)
    assert generate_seed.can_start(items, "7", open_end=False)
    assert not generate_seed.can_start(items, "2", open_end=False)
    assert not generate_seed.can_start(items, "81234567890", open_end=False)  # too long
    leading = generate_seed._parse("8001|8[024]9")
    assert generate_seed.can_start(leading, "80012345", open_end=True)
    assert not generate_seed.can_start(leading, "8002", open_end=True)


@st.composite
def e164_numbers(draw: st.DrawFn) -> str:
    code = draw(st.sampled_from(sorted(CALLING_CODES)))
    _, lengths, trunk, after = CALLING_CODES[code]
    size = draw(st.sampled_from([n for n in lengths if len(code) + n <= 15]))
    national = draw(st.text("0123456789", min_size=size, max_size=size))
    # not a number written with its trunk prefix by mistake: those are rewritten (tested above)
    assume(not (trunk and national.startswith(trunk) and national[len(trunk)] not in after))
    return code + national


@given(
    e164_numbers(),
    st.lists(st.sampled_from([" ", "-", ".", "(", ")", "\u3000", ""]), min_size=16, max_size=16),
    st.sampled_from(["+", "00", "+ "]),
)
def test_formatted_numbers_parse_back_to_their_digits(
    digits: str, separators: list[str], lead: str
) -> None:
    formatted = lead + "".join(d + s for d, s in zip(digits, separators, strict=False))
    destination = parse_destination(formatted)
    assert destination.e164 == digits
    assert digits.startswith(str(destination.calling_code))


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("MyShop", None, ("MyShop", SourceKind.ALPHANUMERIC, Ton.ALPHANUMERIC, Npi.UNKNOWN)),
        (" My Shop! ", None, ("My Shop!", SourceKind.ALPHANUMERIC, Ton.ALPHANUMERIC, 0)),
        ("Café-24", None, ("Café-24", SourceKind.ALPHANUMERIC, Ton.ALPHANUMERIC, 0)),
        ("12345", None, ("12345", SourceKind.SHORT_CODE, Ton.NETWORK_SPECIFIC, Npi.UNKNOWN)),
        ("123", None, ("123", SourceKind.SHORT_CODE, 3, 0)),
        ("12345678", None, ("12345678", SourceKind.SHORT_CODE, 3, 0)),
        ("+81 90-1234-5678", None, ("819012345678", SourceKind.NUMBER, 1, 1)),
        ("819012345678", None, ("819012345678", SourceKind.NUMBER, 1, 1)),
        ("090-1234-5678", "JP", ("819012345678", SourceKind.NUMBER, 1, 1)),
        ("+683 4002", None, ("6834002", SourceKind.NUMBER, 1, 1)),  # Niue: short, with "+"
    ],
)
def test_parse_source(value: str, country: str | None, expected: tuple[object, ...]) -> None:
    assert tuple(parse_source(value, default_country=country)) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("TooLongName12", "longer than 11"),
        ("Shop\u2122", "outside the GSM 7-bit basic alphabet"),
        ("Shop{1}", "outside the GSM 7-bit basic alphabet"),  # extension table
        ("Line\nBreak", "outside the GSM 7-bit basic alphabet"),
        ("!!!", "no letter"),
        ("12", "2 digits"),
        ("+abc", "not a phone number"),
        ("+", "not a phone number"),
        ("+999 1234 5678", "no assigned country calling code"),
        ("1234567890123456", "16 digits"),
    ],
)
def test_invalid_sources(value: str, problem: str) -> None:
    with pytest.raises(GatewayError) as caught:
        parse_source(value)
    assert caught.value.code == "invalid_source"
    assert problem in caught.value.detail


@pytest.mark.parametrize(
    ("address", "ton", "npi", "country", "e164"),
    [
        ("819012345678", Ton.INTERNATIONAL, Npi.ISDN, None, "819012345678"),
        ("+819012345678", Ton.INTERNATIONAL, Npi.ISDN, None, "819012345678"),
        ("09012345678", Ton.NATIONAL, Npi.ISDN, "JP", "819012345678"),
        ("9012345678", Ton.NATIONAL, Npi.NATIONAL, "JP", "819012345678"),
        ("88001234567", Ton.NATIONAL, Npi.ISDN, "RU", "78001234567"),
        ("8001234567", Ton.NATIONAL, Npi.ISDN, "RU", "78001234567"),
        ("+819012345678", Ton.UNKNOWN, Npi.UNKNOWN, None, "819012345678"),
        ("819012345678", Ton.UNKNOWN, Npi.ISDN, None, "819012345678"),
        ("09012345678", Ton.UNKNOWN, Npi.ISDN, "JP", "819012345678"),
    ],
)
def test_destination_from_smpp(
    address: str, ton: int, npi: int, country: str | None, e164: str
) -> None:
    assert destination_from_smpp(address, ton, npi, country).e164 == e164


@pytest.mark.parametrize(
    ("address", "ton", "npi", "country", "problem"),
    [
        ("MyShop", Ton.ALPHANUMERIC, Npi.UNKNOWN, None, "type of number 5"),
        ("12345", Ton.NETWORK_SPECIFIC, Npi.UNKNOWN, None, "type of number 3"),
        ("819012345678", Ton.INTERNATIONAL, Npi.PRIVATE, None, "numbering plan 9"),
        ("09012345678", Ton.NATIONAL, Npi.ISDN, None, "no default country"),
        ("0901234567x", Ton.NATIONAL, Npi.ISDN, "JP", "not a national number"),
        ("0819012345678", Ton.INTERNATIONAL, Npi.ISDN, None, "no assigned country calling"),
    ],
)
def test_destination_from_smpp_refuses(
    address: str, ton: int, npi: int, country: str | None, problem: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        destination_from_smpp(address, ton, npi, country)
    assert caught.value.code == "invalid_destination"
    assert problem in caught.value.detail


@pytest.mark.parametrize(
    ("address", "ton", "npi", "expected"),
    [
        ("MyShop", Ton.ALPHANUMERIC, Npi.UNKNOWN, ("MyShop", SourceKind.ALPHANUMERIC, 5, 0)),
        ("12345", Ton.NETWORK_SPECIFIC, Npi.UNKNOWN, ("12345", SourceKind.SHORT_CODE, 3, 0)),
        ("12345", Ton.ABBREVIATED, Npi.ISDN, ("12345", SourceKind.SHORT_CODE, 3, 0)),
        ("819012345678", Ton.INTERNATIONAL, Npi.ISDN, ("819012345678", SourceKind.NUMBER, 1, 1)),
        ("09012345678", Ton.NATIONAL, Npi.ISDN, ("819012345678", SourceKind.NUMBER, 1, 1)),
        ("MyShop", Ton.UNKNOWN, Npi.UNKNOWN, ("MyShop", SourceKind.ALPHANUMERIC, 5, 0)),
        ("+819012345678", Ton.UNKNOWN, Npi.ISDN, ("819012345678", SourceKind.NUMBER, 1, 1)),
    ],
)
def test_source_from_smpp(address: str, ton: int, npi: int, expected: tuple[object, ...]) -> None:
    assert tuple(source_from_smpp(address, ton, npi, "JP")) == expected


@pytest.mark.parametrize(
    ("address", "ton", "problem"),
    [
        ("TooLongName12", Ton.ALPHANUMERIC, "longer than 11"),
        ("12ab", Ton.NETWORK_SPECIFIC, "not a short code"),
        ("12", Ton.ABBREVIATED, "2 digits"),
        ("1234", Ton.SUBSCRIBER_NUMBER, "type of number 4"),
        ("abc", Ton.INTERNATIONAL, "not an international number"),
        ("", Ton.UNKNOWN, "empty"),
    ],
)
def test_source_from_smpp_refuses(address: str, ton: int, problem: str) -> None:
    with pytest.raises(GatewayError) as caught:
        source_from_smpp(address, ton, Npi.UNKNOWN, "JP")
    assert caught.value.code == "invalid_source"
    assert problem in caught.value.detail


def test_type_of_number_and_plan_are_plain_ints() -> None:
    # they travel to the SQLite writer, whose marshal framing refuses enum members
    parsed = [
        source_from_smpp("819012345678", 1, 1, "JP"),
        source_from_smpp("MyShop", 5, 0, "JP"),
        source_from_smpp("12345", 3, 0, "JP"),
        parse_source("+819012345678"),
        parse_source("MyShop"),
        parse_destination("+819012345678"),
        destination_from_smpp("09012345678", 2, 1, "JP"),
    ]
    assert {(type(p.ton), type(p.npi)) for p in parsed} == {(int, int)}
