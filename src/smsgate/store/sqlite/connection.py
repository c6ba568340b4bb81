"""Connections to the SQLite file, their transactions, and sqlite3's errors as the store's."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smsgate.store.errors import BalanceError, DuplicateError, IntegrityError


def connect(path: str | Path, *, read_only: bool, busy_timeout: float) -> sqlite3.Connection:
    """A connection of the store's: the writer's in WAL mode with every commit fsynced."""
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=busy_timeout
    )
    if read_only:
        conn.execute("PRAGMA query_only = ON")
    else:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    return conn


def environmental(error: BaseException) -> bool:
    """An error of the database or the disk rather than of one caller's changes: replaying the
    batch call by call would only fail again, once per call."""
    return isinstance(error, sqlite3.OperationalError | OSError)


def translate(error: BaseException) -> BaseException:
    """sqlite3's constraint errors as the store's own."""
    if isinstance(error, sqlite3.IntegrityError):
        text = str(error)
        if text.startswith("UNIQUE") or "PRIMARY KEY" in text:
            return DuplicateError(text)
        if text.startswith("CHECK") and "amount" in text:
            return BalanceError(text)
        return IntegrityError(text)
    return error


@contextmanager
def transaction(conn: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    conn.execute(begin)
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # also when COMMIT itself failed
            conn.execute("ROLLBACK")
        raise
