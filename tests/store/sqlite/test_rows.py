import sqlite3
from pathlib import Path

import pytest

from smsgate.store.sqlite.connection import connect
from smsgate.store.sqlite.rows import _chunks, insert_rows, update_rows

UPDATE = (
    "WITH u(k, v) AS (VALUES {values}) UPDATE t AS x SET v = COALESCE(u.v, x.v) FROM u"
    " WHERE x.k = u.k"
)


@pytest.fixture
def conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    return conn


@pytest.mark.parametrize("count", [1, 2, 3, 255, 256, 257, 1000, 1023])
def test_chunks_are_powers_of_two_and_keep_every_row_in_order(count: int) -> None:
    rows = [(i,) for i in range(count)]
    chunks = _chunks(rows, 1)
    assert [row for chunk in chunks for row in chunk] == rows
    assert all(len(c) & (len(c) - 1) == 0 and len(c) <= 256 for c in chunks)


def test_wide_rows_stay_under_the_parameter_limit() -> None:
    chunks = _chunks([tuple(range(200))] * 1000, 200)
    assert max(len(c) for c in chunks) * 200 <= 32_766


def test_insert_then_update_many_rows(conn: sqlite3.Connection) -> None:
    insert_rows(conn, "INSERT INTO t (k, v) VALUES", [(i, f"v{i}") for i in range(1000)])
    assert conn.execute("SELECT count(*), min(v), max(k) FROM t").fetchone() == (1000, "v0", 999)
    # None keeps the stored value; a key with no row changes nothing and is not counted
    rows = [(i, None if i % 2 else "new") for i in range(0, 1001)]
    assert update_rows(conn, UPDATE, rows) == 1000
    assert conn.execute("SELECT v FROM t WHERE k IN (0, 1) ORDER BY k").fetchall() == [
        ("new",),
        ("v1",),
    ]


def test_nothing_to_write(conn: sqlite3.Connection) -> None:
    insert_rows(conn, "INSERT INTO t (k, v) VALUES", [])
    assert update_rows(conn, UPDATE, []) == 0


def test_a_store_connection_binds_none_bytes_and_bool_as_null_blob_and_integer(
    tmp_path: Path,
) -> None:
    conn = connect(tmp_path / "s.db", read_only=False, busy_timeout=1.0)
    conn.execute("CREATE TABLE b (x, y, z, t, f)")
    conn.execute(
        "INSERT INTO b VALUES (?, ?, ?, ?, ?)", (None, b"\x00\xff", bytearray(b"ab"), True, False)
    )
    row = conn.execute(
        "SELECT x, typeof(x), y, typeof(y), z, typeof(z), t, typeof(t), f FROM b"
    ).fetchone()
    assert row == (None, "null", b"\x00\xff", "blob", b"ab", "blob", 1, "integer", 0)
    # the adapters are the process's: a connection opened any other way binds the same
    other = sqlite3.connect(":memory:")
    assert other.execute("SELECT ?, typeof(?)", (None, None)).fetchone() == (None, "null")
    assert other.execute("SELECT ?, typeof(?)", (b"q", b"q")).fetchone() == (b"q", "blob")
