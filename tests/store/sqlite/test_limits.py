"""The SQLite file's size limit (a full database refuses writes, keeps what it has and takes
writes again once it has room) and a damaged file refused at open."""

import asyncio
import os
from pathlib import Path

import pytest

from smsgate.store import StoreCorruptError, StoreFullError
from smsgate.store.sqlite import SqliteStore
from tests.store.factories import new_message


def test_a_full_file_refuses_writes_and_keeps_what_it_committed(tmp_path: Path) -> None:
    path = tmp_path / "small.db"

    async def body() -> None:
        store = SqliteStore(path)
        await store.open()
        await store.close()
        limit = path.stat().st_size + 64 * 1024
        store = SqliteStore(path, max_bytes=limit)
        await store.open()
        kept = []
        try:
            with pytest.raises(StoreFullError, match="full"):
                for _ in range(2000):  # about 2 KB each: the limit comes well before
                    message = new_message(parts=3)
                    await store.write([message])
                    kept.append(message.id)
            assert kept  # some fitted
            assert await store.get_message(kept[-1]) is not None
        finally:
            await store.close()
        # with room again, what was committed is there and writes are taken
        store = SqliteStore(path)
        await store.open()
        try:
            assert all([await store.get_message(i) is not None for i in kept])
            await store.write([new_message()])
        finally:
            await store.close()

    asyncio.run(asyncio.wait_for(body(), 60))


def test_a_damaged_file_is_refused_with_its_name_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"

    async def body() -> None:
        store = SqliteStore(path)
        await store.open()
        await store.write([new_message()])
        await store.close()
        with path.open("r+b") as damaged:  # the schema page and what follows, overwritten
            damaged.seek(100)
            damaged.write(os.urandom(8192))
        with pytest.raises(StoreCorruptError) as refused:
            await SqliteStore(path).open()
        said = str(refused.value)
        assert str(path) in said and "damaged" in said and ".recover" in said

    asyncio.run(asyncio.wait_for(body(), 60))
