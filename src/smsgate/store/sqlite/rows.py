"""Multi-row statements for the SQLite writer: many rows per statement instead of one.

`executemany` runs one sqlite3_step per row, and CPython's sqlite3 module releases the GIL
around each step and takes it back after: with the event loop busy on the other side of the
GIL, every row then waits for the loop to give the GIL up (measured here: a 1,000-row insert
ran 6x slower with a busy second thread). One statement of many rows waits once. The writer
has since become a process of its own, with no GIL to win back; many rows per statement still
save the sqlite3 module's work per statement.

Statements are cut into chunks whose row counts are powers of two, so a table needs at most a
handful of distinct statement texts and the sqlite3 module's statement cache keeps them
prepared.
"""

import sqlite3
from collections.abc import Sequence
from functools import cache
from typing import Any, Final

# The store needs 3.35 (RETURNING; UPDATE ... FROM came in 3.33), whose default limit of host
# parameters per statement is 32766
MINIMUM_VERSION: Final = (3, 35, 0)
_MAX_PARAMETERS: Final = 32_766
_MAX_ROWS: Final = 256

Row = Sequence[Any]


def _chunks(rows: Sequence[Row], width: int) -> list[Sequence[Row]]:
    largest = _MAX_ROWS
    while largest > 1 and largest * width > _MAX_PARAMETERS:
        largest //= 2
    chunks = []
    start = 0
    size = largest
    while start < len(rows):
        while size > len(rows) - start:
            size //= 2
        chunks.append(rows[start : start + size])
        start += size
    return chunks


@cache
def _values(width: int, count: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * count)


def insert_rows(conn: sqlite3.Connection, head: str, rows: Sequence[Row]) -> None:
    """`head` is `INSERT INTO table (columns) VALUES`; every row has one value per column."""
    if not rows:
        return
    width = len(rows[0])
    for chunk in _chunks(rows, width):
        conn.execute(f"{head} {_values(width, len(chunk))}", [v for row in chunk for v in row])


def update_rows(conn: sqlite3.Connection, update: str, rows: Sequence[Row]) -> int:
    """`update` is an UPDATE ... FROM statement with `{values}` where the rows go (their columns
    are column1, column2, ... there); the number of rows it changed."""
    if not rows:
        return 0
    width = len(rows[0])
    # the cursor's rowcount stays -1 for a statement that starts with WITH
    before = conn.total_changes
    for chunk in _chunks(rows, width):
        conn.execute(_update(update, width, len(chunk)), [v for row in chunk for v in row])
    return conn.total_changes - before


@cache
def _update(update: str, width: int, count: int) -> str:
    return update.format(values=_values(width, count))
