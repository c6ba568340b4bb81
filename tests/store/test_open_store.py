"""open_store's choice of backend, and the pagination cursor."""

import asyncio
from pathlib import Path

import pytest

from smsgate.store import InvalidCursorError, is_postgres_url, open_store
from smsgate.store.paging import decode_cursor, encode_cursor
from smsgate.store.sqlite import SqliteStore
from tests.store.backends import StoreBackend


def test_urls_pick_the_backend() -> None:
    assert is_postgres_url("postgresql://u@h:5432/db")
    assert is_postgres_url("postgres://u@h/db")
    assert not is_postgres_url("var/smsgate.db")
    assert not is_postgres_url("/tmp/postgresql.db")


def test_a_sqlite_path_gets_its_directories(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "smsgate.db"

    async def main() -> None:
        store = await open_store(str(path))
        try:
            assert isinstance(store, SqliteStore)
            assert await store.list_accounts() == []
        finally:
            await store.close()

    asyncio.run(main())
    assert path.exists()


def test_open_store_opens_either_backend(store: StoreBackend) -> None:
    async def main() -> None:
        opened = await open_store(store.url, max_pending=5)
        try:
            assert opened.pending == 0
            assert await opened.schema_version() >= 1
        finally:
            await opened.close()
        await opened.close()  # twice is harmless

    asyncio.run(main())


def test_cursor_round_trip_and_garbage() -> None:
    last = "01a2093576307045a1ff483c25087f5a"
    assert decode_cursor(encode_cursor(last)) == last
    for garbage in ("%%%", "AAAA", "", "MDFh!"):
        with pytest.raises(InvalidCursorError):
            decode_cursor(garbage)
