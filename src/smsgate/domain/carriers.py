"""Which carrier (mobile network) a number belongs to.

Number ranges are allocated to carriers, so the longest allocated prefix gives a first answer.
Since mobile number portability a subscriber keeps the number when changing carrier, so a
portability map (exact number -> carrier), when the operator has one, wins over the prefixes.
"""

import csv
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from smsgate.domain.carrier_seed import JP_CARRIER_PREFIXES
from smsgate.domain.errors import GatewayError
from smsgate.domain.numbers import E164_MAX_DIGITS, parse_destination

# Carrier ids are stable lower-case names ("docomo", "au", "softbank", "rakuten") that routes
# and portability files refer to.
CARRIER_ID: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


def carrier_id(value: str) -> str:
    """A carrier id in its stored form (trimmed, lower case); ValueError if it is not one."""
    carrier = value.strip().lower()
    if not CARRIER_ID.fullmatch(carrier):
        raise ValueError(
            f"{value!r} is not a carrier id (lower-case letters, digits, '_', '.', '-')"
        )
    return carrier


def number_prefix(value: str) -> str:
    """A number prefix as E.164 digits (a leading "+" dropped); ValueError if it is not one."""
    digits = value.strip().removeprefix("+")
    if not (digits.isdigit() and digits.isascii() and len(digits) <= E164_MAX_DIGITS):
        raise ValueError(f"{value!r} is not a number prefix (1 to 15 digits)")
    return digits


class CarrierTable:
    """Longest-prefix carrier lookup with exact-number overrides from number portability.

    Built from the store's rows; changed only whole (`replace_with`) or by one ported number
    (`port`). A lookup is one dict probe for portability, then one per distinct prefix length
    (three for the Japanese seed), longest first.
    """

    __slots__ = ("_carriers", "_lengths", "_ported", "_prefixes")

    def __init__(
        self,
        prefixes: Iterable[tuple[str, str]] = (),
        ported: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> None:
        table: dict[str, str] = {}
        for prefix, carrier in prefixes:
            key, value = number_prefix(prefix), carrier_id(carrier)
            if table.get(key, value) != value:
                raise ValueError(f"prefix {key} is given to both {table[key]} and {value}")
            table[key] = value
        self._prefixes = table
        self._lengths = tuple(sorted({len(p) for p in table}, reverse=True))
        rows = ported.items() if isinstance(ported, Mapping) else ported
        # a few carriers for up to millions of numbers: check each spelling once, and share
        # one string per carrier
        ids: dict[str, str] = {}
        self._ported: dict[str, str] = {}
        for number, carrier in rows:
            known = ids.get(carrier)
            if known is None:
                known = ids[carrier] = carrier_id(carrier)
            self._ported[number_prefix(number)] = known
        self._carriers = frozenset(table.values()) | frozenset(ids.values())

    @classmethod
    def seeded(cls, ported: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> "CarrierTable":
        """The Japanese mobile prefixes from carrier_seed, plus a portability map."""
        return cls(JP_CARRIER_PREFIXES, ported)

    def port(self, number: str, carrier: str) -> None:
        """A number learnt ported (by an HLR lookup): its carrier from now on."""
        known = carrier_id(carrier)
        self._ported[number_prefix(number)] = known
        self._carriers |= {known}

    def replace_with(self, other: "CarrierTable") -> None:
        """Take another table's prefixes and ported numbers (an operator imported new ones):
        whoever holds this table (the router, the HLR portability feed) sees them at once."""
        self._prefixes = other._prefixes
        self._lengths = other._lengths
        self._ported = other._ported
        self._carriers = other._carriers

    def with_ported(self, ported: Mapping[str, str] | Iterable[tuple[str, str]]) -> "CarrierTable":
        """The same prefixes with another portability map (after a new import)."""
        return CarrierTable(self._prefixes.items(), ported)

    def carrier_for(self, e164: str) -> str | None:
        """The carrier of a number (E.164 digits without "+"), or None when no prefix covers it."""
        carrier = self._ported.get(e164)
        if carrier is not None:
            return carrier
        # allocated_carrier inlined: a call more per message is a fifth of the lookup
        get = self._prefixes.get
        for length in self._lengths:
            carrier = get(e164[:length])
            if carrier is not None:
                return carrier
        return None

    def allocated_carrier(self, e164: str) -> str | None:
        """The carrier the number's range was allocated to, ignoring portability."""
        get = self._prefixes.get
        for length in self._lengths:
            carrier = get(e164[:length])
            if carrier is not None:
                return carrier
        return None

    @property
    def carriers(self) -> frozenset[str]:
        """Every carrier id the table can answer."""
        return self._carriers

    @property
    def ported_count(self) -> int:
        return len(self._ported)

    def __len__(self) -> int:
        return len(self._prefixes)


# --- portability files ---------------------------------------------------------------------

HEADER: Final = ("number", "carrier")
MAX_REPORTED_ERRORS: Final = 100


@dataclass(frozen=True, slots=True)
class LineError:
    line: int  # 1-based, as an editor shows it
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class PortabilityFileError(ValueError):
    """A portability file had bad lines; all of them were read before giving up."""

    def __init__(self, errors: list[LineError], count: int) -> None:
        self.errors = errors  # the first MAX_REPORTED_ERRORS
        self.count = count
        lines = "\n".join(map(str, errors))
        more = f"\n... and {count - len(errors)} more" if count > len(errors) else ""
        super().__init__(f"{count} bad line(s) in the portability file:\n{lines}{more}")


def parse_portability_csv(
    source: str | Iterable[str],
    *,
    default_country: str | None = None,
    carriers: Collection[str] | None = None,
) -> Iterator[tuple[str, str]]:
    """(E.164 digits, carrier id) for each line of a portability file.

    The file is CSV with the header `number,carrier`; numbers may have "+", spaces and dashes
    (national forms need `default_country`); blank lines and lines starting with "#" are
    ignored. With `carriers`, an unknown carrier id is an error (catches typos).

    Good rows are yielded as they are read; every bad line is collected and, once the input is
    exhausted, PortabilityFileError lists them with their line numbers. A caller that must not
    apply a partly bad file collects the rows first (`load_portability_csv` does).
    """
    lines = source.splitlines() if isinstance(source, str) else source
    known = frozenset(carriers) if carriers is not None else None
    errors: list[LineError] = []
    count = 0
    header_seen = False
    reader = csv.reader(lines, skipinitialspace=True)
    for fields in reader:
        line = reader.line_num
        blank = not fields or (len(fields) == 1 and not fields[0].strip())
        if blank or fields[0].lstrip().startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            # spreadsheets often start their CSV export with a byte order mark
            fields[0] = fields[0].lstrip("\ufeff")
            if tuple(f.strip().lower() for f in fields) == HEADER:
                continue
            count += 1
            errors.append(LineError(line, "expected the header 'number,carrier' first"))
            if not fields[0].strip().lstrip("+")[:1].isdigit():
                continue  # an unknown header, not data: reported once
        try:
            yield _portability_row(fields, default_country, known)
        except ValueError as error:
            count += 1
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(LineError(line, str(error)))
    if count:
        raise PortabilityFileError(errors, count)


def _portability_row(
    fields: list[str], default_country: str | None, known: frozenset[str] | None
) -> tuple[str, str]:
    if len(fields) != len(HEADER):
        raise ValueError(f"expected 2 fields (number,carrier), found {len(fields)}")
    number, carrier = fields
    try:
        e164 = parse_destination(number, default_country=default_country).e164
    except GatewayError as error:
        raise ValueError(error.detail) from None
    if not carrier.strip():
        raise ValueError(f"number {number.strip()!r} has no carrier")
    carrier = carrier_id(carrier)
    if known is not None and carrier not in known:
        raise ValueError(f"unknown carrier {carrier!r}")
    return e164, carrier


def load_portability_csv(
    source: str | Iterable[str],
    *,
    default_country: str | None = None,
    carriers: Collection[str] | None = None,
) -> dict[str, str]:
    """A whole portability file as number -> carrier, or PortabilityFileError and nothing.
    A number listed twice keeps its last carrier, as a later correction would."""
    return dict(parse_portability_csv(source, default_country=default_country, carriers=carriers))
