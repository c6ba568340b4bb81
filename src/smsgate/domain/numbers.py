"""Destination numbers and sender addresses: parsing, normalising, and their SMPP TON/NPI.

Runs on every message, so it works from tables precomputed out of phonenumbers' metadata
(carrier_seed.py) instead of calling `phonenumbers.parse`, which costs ~40 µs a number. What it
checks: digits only, a real country calling code, and a national length the code's numbering
plan allows. `strict=True` adds phonenumbers' full validation (~20 µs more per number).
"""

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Final, NamedTuple

from smsgate.domain.carrier_seed import CALLING_CODES, REGIONS, SHARED_CODE_REGIONS
from smsgate.domain.errors import GatewayError
from smsgate.smpp.constants import Npi, Ton
from smsgate.text.gsm7 import BASIC

E164_MAX_DIGITS: Final = 15
MAX_INPUT: Final = 64  # longer input is refused before any work is done on it
NON_GEOGRAPHIC: Final = "001"  # phonenumbers' region for +800, +882, +883 and the like

ALPHANUMERIC_MAX: Final = 11  # 11 GSM-7 characters fill the 10-octet TP-OA field
SHORT_CODE_DIGITS: Final = range(3, 9)
# Short codes go out as network specific with an unknown numbering plan (TON 3, NPI 0), the
# values SMSC operators document for them; alphanumeric senders as TON 5, NPI 0.
# Plain ints, not the enum members: they travel to the store's writer, whose marshal framing
# takes only exact built-in types.
SHORT_CODE_TON: Final = int(Ton.NETWORK_SPECIFIC)
SHORT_CODE_NPI: Final = int(Npi.UNKNOWN)

_INTERNATIONAL: Final = int(Ton.INTERNATIONAL)  # module globals: enum lookups are slow
_ISDN: Final = int(Npi.ISDN)
# Control characters and the escape to the extension table make no sense in a sender name.
_ALPHANUMERIC: Final = frozenset(BASIC) - frozenset("\n\r\ufffe")
_NOT_LETTERS: Final = frozenset(c for c in _ALPHANUMERIC if not c.isalpha())
# What numbers are written with; anything else makes a sender a name.
_NUMBER_CHARACTERS: Final = frozenset("0123456789+-.() \t\u00a0\u3000")


class _Code(NamedTuple):
    code: str
    number: int
    region: str  # the main region of the code
    lengths: frozenset[int]  # E.164 lengths (code and national number) its regions allow
    shared: int  # for a code several regions share, the length of its keys in _SHARED, else 0
    trunk: str  # the main region's trunk prefix, for "+44 (0)20..."
    misdial_length: int  # length of the starts in `misdials`, 0 for a code without trunk prefix
    misdials: frozenset[str]  # starts of numbers written with the trunk prefix after the code


def _code_of(digits: str) -> str | None:
    # calling codes are a prefix code (none is the start of another): the match is unique
    for code_length in (1, 2, 3):
        if digits[:code_length] in CALLING_CODES:
            return digits[:code_length]
    return None


def _shared_table() -> tuple[dict[str, str], dict[str, int]]:
    """SHARED_CODE_REGIONS with every prefix under a calling code padded to that code's longest,
    so that finding a number's region takes one lookup: E.164 start -> region, and code ->
    length of the starts to look up."""
    depth: dict[str, int] = {}
    for prefix in SHARED_CODE_REGIONS:
        code = _code_of(prefix)
        if code is not None:
            depth[code] = max(depth.get(code, 0), len(prefix))
    table: dict[str, str] = {}
    # shorter prefixes first, so that the longer ones written after them win
    for prefix, region in sorted(SHARED_CODE_REGIONS.items(), key=lambda row: len(row[0])):
        code = _code_of(prefix)
        if code is None:
            continue
        pad = depth[code] - len(prefix)
        for tail in range(10**pad):
            table[prefix + (f"{tail:0{pad}d}" if pad else "")] = region
    return table, depth


_SHARED, _SHARED_DEPTH = _shared_table()


def _code_table() -> dict[str, _Code]:
    """Every 3-digit start of an E.164 number -> its calling code: one dict lookup per number."""
    table = {}
    for code, (region, national, trunk, after) in CALLING_CODES.items():
        lengths = frozenset(len(code) + n for n in national if len(code) + n <= E164_MAX_DIGITS)
        misdials = frozenset(code + trunk + d for d in "0123456789" if d not in after)
        cut = len(code + trunk) + 1 if misdials else 0
        depth = _SHARED_DEPTH.get(code, 0)
        entry = _Code(code, int(code), region, lengths, depth, trunk, cut, misdials)
        pad = 3 - len(code)
        for tail in range(10**pad):
            table[code + (f"{tail:0{pad}d}" if pad else "")] = entry
    return table


_CODES: Final = _code_table()


class Destination(NamedTuple):
    e164: str  # the digits of the E.164 number, without "+"
    calling_code: int
    region: str  # ISO 3166 code as phonenumbers names it, "001" for non-geographic numbers
    ton: int = _INTERNATIONAL
    npi: int = _ISDN

    @property
    def plus(self) -> str:
        return "+" + self.e164


# Builds a named tuple without its Python-level __new__: a third of the cost on the hot path.
_new: Final[Callable[..., Any]] = tuple.__new__


class SourceKind(StrEnum):
    NUMBER = "number"
    SHORT_CODE = "short_code"
    ALPHANUMERIC = "alphanumeric"


_NUMBER_KIND: Final = SourceKind.NUMBER
_ALPHANUMERIC_KIND: Final = SourceKind.ALPHANUMERIC
_ALPHANUMERIC_TON: Final = int(Ton.ALPHANUMERIC)
_UNKNOWN_NPI: Final = int(Npi.UNKNOWN)


class Source(NamedTuple):
    value: str  # E.164 digits without "+", short code digits, or the alphanumeric name
    kind: SourceKind
    ton: int
    npi: int


def _compact(value: str) -> str:
    """Without the separators people write numbers with: any white space (the ideographic space
    of Japanese input too), dashes, dots and parentheses. Chained replaces beat str.translate
    several times over."""
    for separator in "-.()":
        if separator in value:
            value = value.replace(separator, " ")
    return "".join(value.split())


def _invalid(value: str, problem: str) -> GatewayError:
    return GatewayError("invalid_destination", f"{value[:MAX_INPUT]!r} {problem}")


def parse_destination(
    value: str, *, default_country: str | None = None, strict: bool = False
) -> Destination:
    """A destination from what a client wrote.

    Accepted: "+819012345678"; the same digits without "+"; after "00" or the default country's
    international prefix ("010" in JP, "011" in the US); and, with `default_country`, national
    forms ("090-1234-5678" in JP). Spaces, tabs, dashes, dots and parentheses are ignored.
    Without "+" or an international prefix and with a default country, digits are national when
    they start with its trunk prefix ("0" in JP) or have one of its national lengths, unless they
    start with its own calling code followed by a national number of a valid length; "+" always
    removes the doubt.
    """
    international = value[:1] == "+"
    digits = value[1:] if international else value
    if not (digits.isdigit() and digits.isascii()):
        # separators and length checks only for input that needs them
        if len(value) > MAX_INPUT:
            raise _invalid(value, f"is longer than {MAX_INPUT} characters")
        text = _compact(value)
        international = text[:1] == "+"
        digits = text[1:] if international else text
        if not (digits.isdigit() and digits.isascii()):
            problem = "is empty" if not digits else "has characters other than digits or separators"
            raise _invalid(value, problem)
    if not international:
        digits = _internationalise(value, digits, default_country)
    return _destination(value, digits, strict)


class _Plan(NamedTuple):
    """What reading a number dialled in a country takes."""

    code: str
    trunk: str  # the national (trunk) prefix, "" where there is none
    idd: re.Pattern[str] | None  # the international prefix
    idd_start: str  # digits every international prefix starts with: skips the regex otherwise
    lengths: frozenset[int]  # national number lengths


_PLANS: dict[str, _Plan] = {}  # by the country as callers spell it, filled on first use


def _plan(country: str) -> _Plan | None:
    plan = _PLANS.get(country)
    if plan is None:
        row = REGIONS.get(country.upper())
        if row is None:
            return None
        code, trunk, idd, lengths = row
        start = "" if "|" in idd else idd[: len(idd) - len(idd.lstrip("0123456789"))]
        pattern = re.compile(idd) if idd else None
        plan = _PLANS[country] = _Plan(code, trunk, pattern, start, frozenset(lengths))
    return plan


def _internationalise(value: str, digits: str, default_country: str | None) -> str:
    if default_country is None:
        if digits.startswith("00"):
            return digits[2:]
        if digits[0] == "0":
            raise _invalid(value, "is a national number and no default country is set")
        return digits
    plan = _plan(default_country)
    if plan is None:
        raise _invalid(value, f"cannot be read: unknown default country {default_country!r}")
    code, trunk, idd, idd_start, lengths = plan
    if idd is not None and digits.startswith(idd_start):
        dialled = idd.match(digits)
        if dialled is not None and 0 < dialled.end() < len(digits):
            return digits[dialled.end() :]
    if digits.startswith("00"):
        return digits[2:]
    if trunk and digits.startswith(trunk):
        national = digits[len(trunk) :]
        # unless the digits are a whole national number that starts like the trunk prefix
        # (Russia's 800 numbers and trunk prefix 8)
        if len(national) in lengths or len(digits) not in lengths:
            return code + national
    if digits.startswith(code):
        entry = _CODES.get(digits[:3])
        if entry is not None and len(digits) in entry.lengths:
            return digits
    if len(digits) in lengths:
        return code + digits
    return digits


def _destination(value: str, digits: str, strict: bool) -> Destination:
    entry = _CODES.get(digits[:3])
    if entry is None:
        raise _code_error(value, digits)
    # one unpacking instead of eight attribute loads: this is the hot path
    code, number, region, lengths, shared, trunk, cut, misdials = entry
    if cut and digits[:cut] in misdials:
        # "+81 090...": no national number there starts 09, so the 0 is the trunk prefix
        digits = code + digits[len(code) + len(trunk) :]
    if len(digits) not in lengths:
        digits = _without_trunk(value, digits, entry)
    if shared:
        region = _SHARED.get(digits[:shared], region)
    if strict:
        region = _validate(value, digits, entry)
    destination: Destination = _new(Destination, (digits, number, region, _INTERNATIONAL, _ISDN))
    return destination


def _code_error(value: str, digits: str) -> GatewayError:
    if len(digits) < 3:
        return _invalid(value, "is too short for a phone number")
    return _invalid(value, f"starts with no assigned country calling code ({digits[:3]}...)")


def _without_trunk(value: str, digits: str, entry: _Code) -> str:
    """A number of a length its code does not allow, unless it is one written with its trunk
    prefix after the country code ("+7 8 916..."): then the number without it."""
    code, trunk = entry.code, entry.trunk
    if trunk and digits.startswith(trunk, len(code)):
        shorter = code + digits[len(code) + len(trunk) :]
        if len(shorter) in entry.lengths:
            return shorter
    if len(digits) > E164_MAX_DIGITS:
        raise _invalid(value, f"has {len(digits)} digits; E.164 allows at most {E164_MAX_DIGITS}")
    national = len(digits) - len(code)
    allowed = sorted(n - len(code) for n in entry.lengths)
    if national < allowed[0]:
        problem = "is too short"
    elif national > allowed[-1]:
        problem = "is too long"
    else:
        problem = "has the wrong length"
    raise _invalid(
        value,
        f"{problem} for +{code} ({entry.region}): national numbers there have "
        f"{_spell(allowed)} digits, this one has {national}",
    )


def _spell(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return str(numbers[0])
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]} to {numbers[-1]}"
    return ", ".join(map(str, numbers[:-1])) + f" or {numbers[-1]}"


def _validate(value: str, digits: str, entry: _Code) -> str:
    """phonenumbers' own validation and region, without its parser (the number is known)."""
    import phonenumbers  # noqa: PLC0415 - only strict mode needs it, and it takes 35 ms to load

    national = digits[len(entry.code) :]
    number = phonenumbers.PhoneNumber(country_code=entry.number, national_number=int(national))
    if len(national) > 1 and national[0] == "0":
        # as phonenumbers records it: the zeros are part of the number (Italy, Côte d'Ivoire...)
        number.italian_leading_zero = True
        zeros = len(national) - len(national.lstrip("0"))
        zeros = min(zeros, len(national) - 1)
        if zeros != 1:
            number.number_of_leading_zeros = zeros
    if not phonenumbers.is_valid_number(number):
        raise _invalid(value, f"is not a valid number in the numbering plan of +{entry.code}")
    return phonenumbers.region_code_for_number(number) or entry.region


def _source_error(error: GatewayError) -> GatewayError:
    return GatewayError("invalid_source", error.detail)


def _alphanumeric(value: str, name: str) -> Source:
    if not name:
        raise GatewayError("invalid_source", f"{value!r} is empty")
    if len(name) > ALPHANUMERIC_MAX:
        raise GatewayError(
            "invalid_source",
            f"{value[:MAX_INPUT]!r} is longer than {ALPHANUMERIC_MAX} characters for a sender name",
        )
    if not _ALPHANUMERIC.issuperset(name):
        raise GatewayError(
            "invalid_source", f"{value!r} has characters outside the GSM 7-bit basic alphabet"
        )
    if _NOT_LETTERS.issuperset(name):
        # networks refuse names without a letter, and they could pass for numbers
        raise GatewayError("invalid_source", f"{value!r} has no letter for a sender name")
    source: Source = _new(Source, (name, _ALPHANUMERIC_KIND, _ALPHANUMERIC_TON, _UNKNOWN_NPI))
    return source


def _short_code(value: str, digits: str) -> Source:
    if len(digits) not in SHORT_CODE_DIGITS:
        raise GatewayError(
            "invalid_source",
            f"{value!r} has {len(digits)} digits: a short code has 3 to 8, a full number "
            "needs its country code",
        )
    source: Source = _new(Source, (digits, SourceKind.SHORT_CODE, SHORT_CODE_TON, SHORT_CODE_NPI))
    return source


def parse_source(value: str, *, default_country: str | None = None) -> Source:
    """A sender: a phone number ("+" and digits, or 9 to 15 digits, or national with
    `default_country`), a short code (3 to 8 digits) or an alphanumeric name (1 to 11
    characters of the GSM-7 basic alphabet, not all digits). A number shorter than 9 digits
    must be written with "+", or it is read as a short code."""
    if len(value) > MAX_INPUT:
        raise GatewayError("invalid_source", f"{value[:MAX_INPUT]!r} is too long")
    name = value.strip()
    plus = name[:1] == "+"
    if not plus and not (name and _NUMBER_CHARACTERS.issuperset(name)):
        return _alphanumeric(value, name)
    digits = name[1:] if plus else name
    if not (digits.isdigit() and digits.isascii()):
        compact = _compact(name)
        plus = compact[:1] == "+"
        digits = compact[1:] if plus else compact
        if not (digits.isdigit() and digits.isascii()):
            raise GatewayError("invalid_source", f"{value!r} is not a phone number")
    if not plus and len(digits) < 9:
        return _short_code(value, digits)
    try:
        if not plus:
            digits = _internationalise(value, digits, default_country)
        number = _destination(value, digits, False)
    except GatewayError as error:
        raise _source_error(error) from None
    source: Source = _new(Source, (number.e164, _NUMBER_KIND, _INTERNATIONAL, _ISDN))
    return source


# Numbering plans that can carry a phone number; the rest (data, telex, private, internet...)
# cannot be delivered by SMS.
_PHONE_NPIS: Final = frozenset({Npi.UNKNOWN, Npi.ISDN, Npi.NATIONAL})


def destination_from_smpp(
    address: str, ton: int, npi: int, default_country: str | None = None
) -> Destination:
    """A destination_addr with its TON and NPI, as an ESME sent them in submit_sm.

    International: E.164 digits (a "+" is tolerated). National: a national number of
    `default_country`, with or without the trunk prefix (a valid length decides). Unknown:
    read as `parse_destination` reads client input. Any other TON, or a numbering plan other
    than unknown, ISDN or national, is refused.
    """
    if npi not in _PHONE_NPIS:
        raise _invalid(address, f"has numbering plan {npi}, not a telephone numbering plan")
    if ton == Ton.UNKNOWN:
        return parse_destination(address, default_country=default_country)
    text = _compact(address)
    if ton == Ton.INTERNATIONAL:
        digits = text[1:] if text[:1] == "+" else text
        if not (digits.isascii() and digits.isdigit()):
            raise _invalid(address, "is not an international number")
        return _destination(address, digits, False)
    if ton == Ton.NATIONAL:
        plan = _plan(default_country) if default_country else None
        if plan is None:
            raise _invalid(address, "is a national number and no default country is set")
        if not (text.isascii() and text.isdigit()):
            raise _invalid(address, "is not a national number")
        code, trunk, _, _, lengths = plan
        national = text
        if trunk and text.startswith(trunk):
            national = text[len(trunk) :]
            if len(national) not in lengths and len(text) in lengths:
                national = text  # a national number that starts like the trunk prefix
        return _destination(address, code + national, False)
    raise _invalid(address, f"has type of number {ton}, which is not a phone number")


def source_from_smpp(
    address: str, ton: int, npi: int, default_country: str | None = None
) -> Source:
    """A source_addr with its TON and NPI: alphanumeric (TON 5), a short code (TON 3 or 6), a
    number (TON 1 or 2), or with TON 0 whatever `parse_source` makes of it. An empty source_addr
    is refused here; an SMPP server may put the account's default sender in its place first."""
    if ton == Ton.ALPHANUMERIC:
        return _alphanumeric(address, address.strip())
    if ton in (Ton.NETWORK_SPECIFIC, Ton.ABBREVIATED):
        digits = address.strip()
        if not (digits.isascii() and digits.isdigit()):
            raise GatewayError("invalid_source", f"{address!r} is not a short code")
        return _short_code(address, digits)
    if ton == Ton.UNKNOWN:
        return parse_source(address, default_country=default_country)
    try:
        number = destination_from_smpp(address, ton, npi, default_country)
    except GatewayError as error:
        raise _source_error(error) from None
    source: Source = _new(Source, (number.e164, _NUMBER_KIND, _INTERNATIONAL, _ISDN))
    return source
