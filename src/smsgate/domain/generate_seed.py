"""Writes carrier_seed.py: numbering-plan and carrier tables derived once from `phonenumbers`.

Run `python -m smsgate.domain.generate_seed` after upgrading phonenumbers (it takes about a
minute, most of it walking the regions that share +1, +44 and +61) and commit the result.
At run time smsgate reads only the generated file: loading phonenumbers' metadata for every
region takes ~90 ms and parsing one number ~40 µs, both too slow for startup and the hot path.
"""

import json
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
from phonenumbers.carrierdata import CARRIER_DATA

with warnings.catch_warnings():
    # the stdlib's regex parser, public until 3.11 and still the only way to walk a pattern
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sc
    import sre_parse

OUTPUT: Final = Path(__file__).with_name("carrier_seed.py")
LINE_LENGTH: Final = 100

# phonenumbers' English carrier names for Japan -> smsgate's stable carrier ids. Okinawa Cellular
# is KDDI's subsidiary selling the au brand on KDDI's network, so it routes as au. A name missing
# here stops the generator: someone has to decide what it maps to.
JP_CARRIER_IDS: Final = {
    "NTT Docomo": "docomo",
    "KDDI": "au",
    "Okinawa Cellular": "au",
    "Softbank": "softbank",
    "Rakuten Communications": "rakuten",
}

# How many national digits the shared-code region table may look at. The deepest prefix that
# phonenumbers' data needs today is 5 (Isle of Man 74576, Vatican 06698, Cocos 89162).
MAX_REGION_DEPTH: Final = 6

_TYPE_DESCS: Final = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)

Items = list[tuple[Any, Any]]


def _parse(pattern: str) -> Items:
    return list(sre_parse.parse(pattern).data)


def _metadata(region: str) -> PhoneMetadata:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        raise LookupError(f"phonenumbers has no metadata for {region}")
    return metadata


def _general(metadata: PhoneMetadata) -> Items:
    """The pattern every national number of the region matches."""
    return _parse(getattr(metadata.general_desc, "national_number_pattern", ""))


def _char_in(av: Sequence[tuple[Any, Any]], ch: str) -> bool:
    code = ord(ch)
    for op, arg in av:
        if op is sc.LITERAL and arg == code:
            return True
        if op is sc.RANGE and arg[0] <= code <= arg[1]:
            return True
        if op is sc.CATEGORY and arg is sc.CATEGORY_DIGIT and ch.isdigit():
            return True
        if op not in (sc.LITERAL, sc.RANGE, sc.CATEGORY):
            raise ValueError(f"unsupported character class item {op}")
    return False


def can_start(items: Items, prefix: str, *, open_end: bool) -> bool:
    """Whether some string of the pattern's language starts with `prefix`.

    With `open_end` the pattern is a leading-digits pattern (re.match: anything may follow).
    Only the regex subset phonenumbers uses for digits is supported; anything else raises.
    """
    if not prefix:
        return True
    if not items:
        return open_end
    (op, av), rest = items[0], items[1:]
    if op is sc.LITERAL:
        return prefix[0] == chr(av) and can_start(rest, prefix[1:], open_end=open_end)
    if op is sc.IN:
        return _char_in(av, prefix[0]) and can_start(rest, prefix[1:], open_end=open_end)
    if op is sc.SUBPATTERN:
        return can_start(list(av[-1]) + rest, prefix, open_end=open_end)
    if op is sc.BRANCH:
        return any(can_start(list(alt) + rest, prefix, open_end=open_end) for alt in av[1])
    if op in (sc.MAX_REPEAT, sc.MIN_REPEAT):
        low, high, sub = av
        # every copy consumes a digit, so more copies than the prefix has digits change nothing
        top = min(high, max(low, len(prefix)))
        return any(
            can_start(list(sub) * n + rest, prefix, open_end=open_end) for n in range(low, top + 1)
        )
    raise ValueError(f"unsupported regex item {op}")


class _Claim:
    """Which national numbers a region claims, as phonenumbers decides between regions sharing a
    calling code: by leading digits when the region has them, else by matching a number type."""

    def __init__(self, region: str) -> None:
        metadata = _metadata(region)
        self.region = region
        self.leading: str | None = metadata.leading_digits
        self.lead_items = _parse(self.leading) if self.leading else []
        self.general = _general(metadata)
        self.types = [
            _parse(desc.national_number_pattern)
            for name in _TYPE_DESCS
            if (desc := getattr(metadata, name)) is not None and desc.national_number_pattern
        ]

    def some(self, prefix: str) -> bool:
        if self.leading:
            return can_start(self.lead_items, prefix, open_end=True)
        return can_start(self.general, prefix, open_end=False) and any(
            can_start(items, prefix, open_end=False) for items in self.types
        )

    def all(self, prefix: str) -> bool:
        # a leading-digits match covers the prefix, so it covers every longer number too
        return self.leading is not None and re.match(self.leading, prefix) is not None


def _settle(claims: list[_Claim], prefix: str) -> tuple[str | None, list[_Claim]]:
    """The region owning every number under `prefix` (None when it takes more digits to say),
    and the regions claiming some number under it, in phonenumbers' order."""
    claimants: list[_Claim] = []
    for claim in claims:
        if not claim.some(prefix):
            continue
        if not claimants and claim.all(prefix):
            return claim.region, [claim]
        claimants.append(claim)
    if len(claimants) <= 1:
        return (claimants[0].region if claimants else None), claimants
    if len(prefix) >= MAX_REGION_DEPTH:
        return claimants[0].region, claimants  # phonenumbers tries regions in this order
    return None, claimants


def _walk(
    claims: list[_Claim], prefix: str, inherited: str
) -> tuple[str | None, list[tuple[str, str]]]:
    """Rows (national prefix, region) under `prefix` whose region differs from `inherited`; or
    the single region of every number under `prefix` and no rows."""
    settled: list[str | None] = []
    rows: list[tuple[str, str]] = []
    for digit in "0123456789":
        national = prefix + digit
        region, claimants = _settle(claims, national)
        if region is None and claimants:
            # claims are monotonic: a region claiming nothing under a prefix claims nothing deeper
            region, deeper = _walk(claimants, national, inherited)
            rows.extend(deeper)
        settled.append(region)
        if region is not None and region != inherited:
            rows.append((national, region))
    if settled[0] is not None and settled.count(settled[0]) == len(settled):
        return settled[0], []
    return None, rows


def shared_code_regions(code: int) -> list[tuple[str, str]]:
    """(E.164 prefix, region) for the non-main regions of a shared calling code.

    By prefix only: phonenumbers also weighs a number's length in one place today, the
    seven-digit Canadian numbers under +1 310, which this table gives to the US.
    """
    claims = [_Claim(region) for region in COUNTRY_CODE_TO_REGION_CODE[code]]
    _, rows = _walk(claims, "", claims[0].region)
    return sorted((f"{code}{national}", region) for national, region in rows)


def _lengths(metadata: Any) -> set[int]:
    return {n for n in metadata.general_desc.possible_length if n > 0}


def calling_codes() -> dict[str, tuple[str, tuple[int, ...], str, str]]:
    """calling code -> (main region, national lengths, trunk prefix, digits that may follow the
    trunk prefix at the start of a national number). A "+81 090..." is a number written with its
    trunk prefix by mistake unless a national number can start with "09"; in Japan none can."""
    table = {}
    for code, regions in sorted(COUNTRY_CODE_TO_REGION_CODE.items()):
        if regions == ("001",):
            lengths = _lengths(PhoneMetadata.metadata_for_nongeo_region(code))
            trunk = ""
        else:
            metadata = [_metadata(region) for region in regions]
            lengths = set().union(*map(_lengths, metadata))
            trunk = metadata[0].national_prefix or ""
        after = ""
        if trunk:
            patterns = [_general(m) for m in metadata]
            after = "".join(
                d
                for d in "0123456789"
                if any(can_start(items, trunk + d, open_end=False) for items in patterns)
            )
        table[str(code)] = (regions[0], tuple(sorted(lengths)), trunk, after)
    return table


def regions() -> dict[str, tuple[str, str, str, tuple[int, ...]]]:
    table = {}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = _metadata(region)
        table[region] = (
            str(metadata.country_code),
            metadata.national_prefix or "",
            metadata.international_prefix or "",
            tuple(sorted(_lengths(metadata))),
        )
    return table


def jp_carrier_prefixes() -> list[tuple[str, str]]:
    rows = []
    for prefix, names in sorted(CARRIER_DATA.items()):
        if prefix.startswith("81"):
            rows.append((prefix, JP_CARRIER_IDS[names["en"]]))
    return rows


def _literal(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # double quotes, as the formatter writes them
    if isinstance(value, tuple):
        inner = ", ".join(map(_literal, value))
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _entry(key: str | None, value: tuple[object, ...]) -> list[str]:
    """One dict or tuple entry, split over lines the way the formatter does when it is long."""
    head = f"    {json.dumps(key)}: " if key is not None else "    "
    line = f"{head}{_literal(value)},"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [f"{head}(", *(f"        {_literal(v)}," for v in value), "    ),"]


def render() -> str:
    version = phonenumbers.__version__
    shared = [
        row
        for code, owners in sorted(COUNTRY_CODE_TO_REGION_CODE.items())
        if len(owners) > 1
        for row in shared_code_regions(code)
    ]
    out = [
        f'"""Generated by smsgate.domain.generate_seed from phonenumbers {version}.',
        "",
        "Do not edit: change the generator and run it again.",
        '"""',
        "",
        "from typing import Final",
        "",
        f"PHONENUMBERS_VERSION: Final = {json.dumps(version)}",
        "",
        "# calling code -> (main region, national number lengths of all its regions, the main",
        "# region's trunk prefix, digits that can follow the trunk prefix in a national number)",
        "CALLING_CODES: Final[dict[str, tuple[str, tuple[int, ...], str, str]]] = {",
        *(line for code, row in calling_codes().items() for line in _entry(code, row)),
        "}",
        "",
        "# E.164 prefix -> region, for calling codes shared by several regions; the longest prefix",
        "# wins, and a number under none of them belongs to the code's main region",
        "SHARED_CODE_REGIONS: Final[dict[str, str]] = {",
        *(f"    {json.dumps(prefix)}: {json.dumps(region)}," for prefix, region in shared),
        "}",
        "",
        "# region -> (calling code, trunk prefix, international prefix pattern, national lengths)",
        "REGIONS: Final[dict[str, tuple[str, str, str, tuple[int, ...]]]] = {",
        *(line for region, row in regions().items() for line in _entry(region, row)),
        "}",
        "",
        "# Japanese mobile prefixes (E.164 digits) by the carrier they were first allocated to.",
        "# Numbers move between carriers with mobile number portability: this is a hint only.",
        "JP_CARRIER_PREFIXES: Final[tuple[tuple[str, str], ...]] = (",
        *(line for row in jp_carrier_prefixes() for line in _entry(None, row)),
        ")",
        "",
    ]
    return "\n".join(out)


def main() -> None:
    OUTPUT.write_text(render())
    sys.stdout.write(f"wrote {OUTPUT}\n")


if __name__ == "__main__":
    main()
