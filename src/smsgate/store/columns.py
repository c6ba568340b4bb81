"""Tables declared as column specs, and the row functions generated from them.

A table's columns are declared once (name, SQL type, how the record's field converts); its column
list, the values tuple of an INSERT and the record built from a row read back all follow from that
declaration. The two functions are generated as Python source and compiled once at import: a
tuple display of attribute reads, and a constructor call with one keyword argument per column,
read by position. That is the code one would write by hand for the hot path (a message inserted,
a part updated, per message), without a loop or a lookup per field.
"""

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol, TypeVar

import orjson

R = TypeVar("R")


class Row(Protocol):
    """A row read back: an sqlite3 tuple or an asyncpg Record, read by column position."""

    def __getitem__(self, index: int, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


def to_json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def from_json(text: str) -> Any:
    """What to_json wrote. orjson reads it several times faster (an outbox item's payload is
    read for each claim); what only Python's json writes (NaN, integers past 64 bits) falls back."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


@dataclass(frozen=True, slots=True)
class Conversion:
    """How a field becomes a column value (`out`, `{}` being the field read) and comes back from
    a row (`back`, `{}` being the row item); `names` are what the expressions refer to."""

    out: str = "{}"
    back: str = "{}"
    names: Mapping[str, Any] = field(default_factory=dict)


PLAIN = Conversion()
BOOL = Conversion(back="bool({})")  # SQLite gives back 0 or 1
BYTES = Conversion(back="bytes({})")
OPTIONAL_BYTES = Conversion(back="None if {0} is None else bytes({0})")
JSON = Conversion(
    out="to_json({})", back="json_loads({})", names={"to_json": to_json, "json_loads": from_json}
)


def enum(cls: type[Enum]) -> Conversion:
    """Stored as its value. `_value_` is a plain attribute (Enum.value a property) and the member
    map a dict (calling the enum class goes through its metaclass)."""
    members = f"{cls.__name__}_members"
    return Conversion(
        out="{}._value_", back=f"{members}[{{}}]", names={members: cls._value2member_map_}
    )


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    sql_type: str  # PostgreSQL's name: the PostgreSQL backend casts `unnest` arrays to it
    convert: Conversion = PLAIN
    # the record's attribute (a dotted path reads through it) when not named like the column
    field: str = ""

    @property
    def attribute(self) -> str:
        return self.field or self.name


@dataclass(frozen=True, slots=True)
class Table:
    """Columns of a table (or the parameters of a statement on it), in the order rows hold them."""

    name: str
    columns: tuple[Column, ...]

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """(name, SQL type) of each column."""
        return tuple((c.name, c.sql_type) for c in self.columns)

    def names(self, prefix: str = "") -> str:
        return ", ".join(prefix + c.name for c in self.columns)

    @property
    def select(self) -> str:
        return f"SELECT {self.names()} FROM {self.name}"

    @property
    def insert(self) -> str:
        """One row's INSERT, with `?` placeholders."""
        marks = ", ".join("?" * len(self.columns))
        return f"INSERT INTO {self.name} ({self.names()}) VALUES ({marks})"


def names(columns: tuple[tuple[str, str], ...], prefix: str = "") -> str:
    return ", ".join(prefix + name for name, _ in columns)


def _compile(source: str, namespace: dict[str, Any], name: str) -> Any:
    exec(source, namespace)  # the source is built from declared column and field names only
    return namespace[name]


def make_values(table: Table) -> Callable[[Any], tuple[Any, ...]]:
    """The function that turns a record into the table's values, in column order."""
    namespace: dict[str, Any] = {}
    items = []
    for column in table.columns:
        namespace.update(column.convert.names)
        items.append(column.convert.out.format(f"o.{column.attribute}"))
    source = f"def values(o):\n    return ({', '.join(items)},)\n"
    values: Callable[[Any], tuple[Any, ...]] = _compile(source, namespace, "values")
    return values


def make_reader(record: type[R], table: Table, extra: tuple[str, ...] = ()) -> Callable[..., R]:
    """The function that builds a `record` from a row of the table; `extra` names arguments the
    function takes after the row and passes on as keywords (a message's parts)."""
    namespace: dict[str, Any] = {"record": record}
    arguments = []
    for index, column in enumerate(table.columns):
        namespace.update(column.convert.names)
        arguments.append(f"{column.attribute}={column.convert.back.format(f'row[{index}]')}")
    arguments.extend(f"{name}={name}" for name in extra)
    parameters = ", ".join(("row", *extra))
    source = f"def read({parameters}):\n    return record({', '.join(arguments)})\n"
    reader: Callable[..., R] = _compile(source, namespace, "read")
    return reader
