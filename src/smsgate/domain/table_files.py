"""The routing tables as CSV files an operator imports: the route table and the carrier prefix
table. (Ported numbers have their own reader, `carriers.load_portability_csv`, which also
streams files of millions of numbers.)

Both are all or nothing: every line is read and checked, and the bad ones are listed with their
line numbers, before a caller writes anything. Blank lines and lines starting with "#" are
skipped; a spreadsheet's byte order mark is dropped.

Routes, one a line, tried in the file's order (its position):

    id,prefixes,countries,carriers,accounts,senders,channels,connectors,mode
    docomo,8190 8180,,docomo,,,,docomo-1*3 docomo-2*1@3.30/JPY,weighted
    rest,,,,,,,sim,

`id` and `connectors` are required, every other column is optional and may be left out of the
header. A list holds its values separated by spaces; a connector is `ID`, `ID*WEIGHT`, and
either may end with `@PRICE/CURRENCY` (a price per segment). `mode` is failover (empty) or
weighted. What each condition means: `routing.py`.

Carrier prefixes (the longest matching prefix gives a number's carrier unless it is ported):

    prefix,carrier
    8190,docomo
"""

import csv
from collections.abc import Callable, Iterable, Mapping
from typing import Final, TypeVar

from smsgate.domain.carriers import LineError, carrier_id, number_prefix
from smsgate.domain.routing import MATCH_KEYS, Route
from smsgate.domain.routing_tables import RouteRow

MAX_REPORTED_ERRORS: Final = 100
MAX_ROWS: Final = 1_000_000  # lines of one file (a prefix table is thousands, routes dozens)
ROUTE_COLUMNS: Final = ("id", *MATCH_KEYS, "connectors", "mode")
PREFIX_COLUMNS: Final = ("prefix", "carrier")

T = TypeVar("T")


class TableFileError(ValueError):
    """A table file had bad lines (or no good ones); all of them were read before giving up."""

    def __init__(self, what: str, errors: list[LineError], count: int) -> None:
        self.errors = errors  # the first MAX_REPORTED_ERRORS
        self.count = count
        lines = "\n".join(map(str, errors))
        more = f"\n... and {count - len(errors)} more" if count > len(errors) else ""
        super().__init__(f"{count} bad line(s) in the {what} file:\n{lines}{more}")


def read_table(
    source: str | Iterable[str],
    what: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    row: Callable[[int, dict[str, str]], T],
) -> list[T]:
    """`row` of (line number, the line's fields by column name) for every line after the
    header, which names some of `columns` (all of `required`) in any order; TableFileError with
    every bad line, `row`'s ValueError messages among them."""
    lines = source.splitlines() if isinstance(source, str) else source
    reader = csv.reader(lines, skipinitialspace=True)
    header: tuple[str, ...] | None = None
    rows: list[T] = []
    errors: list[LineError] = []
    count = 0

    def bad(line: int, message: str) -> None:
        nonlocal count
        count += 1
        if len(errors) < MAX_REPORTED_ERRORS:
            errors.append(LineError(line, message))

    for fields in reader:
        line = reader.line_num
        if not fields or not "".join(fields).strip() or fields[0].lstrip().startswith("#"):
            continue
        if header is None:
            fields[0] = fields[0].lstrip("\ufeff")
            header = tuple(f.strip().lower() for f in fields)
            unknown = [name for name in header if name not in columns]
            missing = [name for name in required if name not in header]
            if unknown or missing or len(set(header)) != len(header):
                expected = ",".join(columns)
                raise TableFileError(
                    what, [LineError(line, f"the header names columns of {expected}")], 1
                )
            continue
        if len(rows) + count >= MAX_ROWS:
            raise TableFileError(what, [LineError(line, f"more than {MAX_ROWS} lines")], 1)
        if len(fields) != len(header):
            bad(line, f"expected {len(header)} fields, found {len(fields)}")
            continue
        try:
            named = {name: f.strip() for name, f in zip(header, fields, strict=True)}
            rows.append(row(line, named))
        except ValueError as error:
            bad(line, str(error))
    if header is None:
        raise TableFileError(what, [LineError(1, "the file is empty")], 1)
    if count:
        raise TableFileError(what, errors, count)
    return rows


def _target(token: str) -> dict[str, object]:
    """`ID[*WEIGHT][@PRICE/CURRENCY]` as a route spec's connector."""
    head, _, price = token.partition("@")
    connector, star, weight = head.partition("*")
    target: dict[str, object] = {"id": connector}
    if star:
        if not weight.isdigit():
            raise ValueError(f"connector {token!r}: the weight after * is a whole number")
        target["weight"] = int(weight)
    if price:
        amount, slash, currency = price.partition("/")
        if not slash:
            raise ValueError(f"connector {token!r}: a price is written PRICE/CURRENCY")
        target["price"], target["currency"] = amount, currency.upper()
    return target


def _route_spec(fields: Mapping[str, str]) -> tuple[str, dict[str, object]]:
    route_id = fields["id"]
    if not route_id:
        raise ValueError("the route has no id")
    match = {key: fields[key].split() for key in MATCH_KEYS if fields.get(key)}
    spec: dict[str, object] = {
        "match": match,
        "connectors": [_target(token) for token in fields["connectors"].split()],
    }
    if fields.get("mode"):
        spec["mode"] = fields["mode"].lower()
    Route.from_spec(route_id, 0, spec)  # checked as the engine will read it (RouteSpecError)
    return route_id, spec


def load_routes_csv(source: str | Iterable[str]) -> list[RouteRow]:
    """A whole route table, each route checked as the engine will read it and every id once,
    or TableFileError and nothing."""
    seen: dict[str, int] = {}

    def route(line: int, fields: dict[str, str]) -> tuple[str, dict[str, object]]:
        route_id, spec = _route_spec(fields)
        earlier = seen.setdefault(route_id, line)
        if earlier != line:
            raise ValueError(f"route {route_id!r} is also on line {earlier}")
        return route_id, spec

    read = read_table(source, "route", ROUTE_COLUMNS, ("id", "connectors"), route)
    if not read:
        raise TableFileError("route", [LineError(1, "no route: every message would be refused")], 1)
    return [RouteRow(route_id, position, spec) for position, (route_id, spec) in enumerate(read)]


def load_prefixes_csv(source: str | Iterable[str]) -> list[tuple[str, str]]:
    """(prefix digits, carrier id) of a whole carrier prefix file, or TableFileError and
    nothing; a prefix given to two carriers is an error."""
    seen: dict[str, tuple[int, str]] = {}

    def prefix_row(line: int, fields: dict[str, str]) -> None:
        if not fields["prefix"]:
            raise ValueError("the line has no prefix")
        prefix, carrier = number_prefix(fields["prefix"]), carrier_id(fields["carrier"])
        earlier = seen.setdefault(prefix, (line, carrier))
        if earlier[1] != carrier:
            raise ValueError(f"prefix {prefix} is {earlier[1]} on line {earlier[0]}")

    read_table(source, "carrier prefix", PREFIX_COLUMNS, PREFIX_COLUMNS, prefix_row)
    return [(prefix, carrier) for prefix, (_, carrier) in seen.items()]
