"""The SQLite backend (the embedded default): `SqliteStore` and its writer process."""

from smsgate.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
