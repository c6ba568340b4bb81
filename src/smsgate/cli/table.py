"""How the operator commands print what they read: an aligned table (or one JSON document),
ages as an operator reads them, times in UTC."""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any


def table(rows: Sequence[dict[str, Any]], *, empty: str = "(none)") -> str:
    """The rows as columns under their keys (those of the first row), `-` for None."""
    if not rows:
        return empty
    keys = list(rows[0])
    cells = [[_cell(row.get(key)) for key in keys] for row in rows]
    widths = [max(len(key), *(len(line[i]) for line in cells)) for i, key in enumerate(keys)]
    lines = [keys, *cells]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def show(rows: Sequence[dict[str, Any]], as_json: bool, *, empty: str = "(none)") -> None:
    """Print the rows: a table, or with `as_json` one JSON array."""
    print(json.dumps(list(rows), ensure_ascii=False) if as_json else table(rows, empty=empty))


def age(seconds: float) -> str:
    """12s, 5m03s, 2h07m, 3d04h."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86_400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86_400}d{whole % 86_400 // 3600:02d}h"


def iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
