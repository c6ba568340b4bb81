"""Schema migrations: upgrade with data in place, idempotence, refusal of a newer schema."""

import asyncio
import sqlite3
from typing import Any

import asyncpg
import pytest

from smsgate.domain.message import Message
from smsgate.store import Store, StoreError
from smsgate.store.migrations import LATEST, MIGRATIONS, pending
from smsgate.store.rows import MESSAGES, PARTS, message_values, part_values
from tests.store.backends import StoreBackend
from tests.store.factories import new_message

# a column migration 11 adds, and a version before it to upgrade from (later migrations need
# not add a column)
UPGRADE_FROM = 10
# what later migrations add: the table of migration 12 and the column of migration 13
ADDED_SINCE: dict[str, list[tuple[str, str]]] = {
    "sqlite": [
        ("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'submitted_parts'",
         "submitted_parts"),
        ("SELECT name FROM pragma_table_info('accounts') WHERE name = 'data_coding_0'",
         "data_coding_0"),
    ],
    "postgres": [
        ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
         " AND table_name = 'submitted_parts'", "submitted_parts"),
        ("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
         " AND table_name = 'accounts' AND column_name = 'data_coding_0'", "data_coding_0"),
    ],
}  # fmt: skip


async def write_as_stored_then(backend: StoreBackend, messages: list[Message]) -> None:
    """Insert messages and parts as an older schema stores them: only the columns its tables
    have (the newer ones take their defaults in the upgrade)."""
    tables: list[tuple[str, Any, list[tuple[Any, ...]]]] = [
        ("messages", MESSAGES.pairs, [message_values(m) for m in messages]),
        ("parts", PARTS.pairs, [part_values(p) for m in messages for p in m.parts]),
    ]
    if backend.name == "sqlite":

        def run() -> None:
            conn = sqlite3.connect(backend.url, isolation_level=None)
            try:
                for table, columns, rows in tables:
                    have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                    keep = [i for i, (name, _) in enumerate(columns) if name in have]
                    names = ", ".join(columns[i][0] for i in keep)
                    marks = ", ".join("?" * len(keep))
                    conn.executemany(
                        f"INSERT INTO {table} ({names}) VALUES ({marks})",
                        [[row[i] for i in keep] for row in rows],
                    )
            finally:
                conn.close()

        await asyncio.to_thread(run)
        return
    conn = await asyncpg.connect(backend.url, timeout=10)
    try:
        for table, columns, rows in tables:
            have = {
                row[0]
                for row in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = $1",
                    table,
                )
            }
            keep = [i for i, (name, _) in enumerate(columns) if name in have]
            await conn.copy_records_to_table(
                table,
                records=[[row[i] for i in keep] for row in rows],
                columns=[columns[i][0] for i in keep],
            )
    finally:
        await conn.close()


def test_upgrade_keeps_the_data(store: StoreBackend) -> None:
    old = [new_message(destination="111"), new_message(destination="222", parts=3)]

    async def at_previous_version() -> None:
        async with store.make(auto_migrate=False) as s:
            assert await s.migrate(target=UPGRADE_FROM) == UPGRADE_FROM
            assert await s.schema_version() == UPGRADE_FROM
        await write_as_stored_then(store, old)
        for query, _ in ADDED_SINCE[store.name]:
            assert await store.fetch(query) == []

    async def upgraded(s: Store) -> None:
        assert await s.schema_version() == LATEST
        for query, name in ADDED_SINCE[store.name]:
            assert await store.fetch(query) == [(name,)]
        for message in old:
            assert await s.get_message(message.id) == message
        page, _ = await s.list_messages("acct-1", destination="222")
        assert page == [old[1]]
        assert await s.migrate() == LATEST  # nothing left to do
        versions = await store.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert versions == [(m.version,) for m in MIGRATIONS]

    asyncio.run(at_previous_version())
    store.run(upgraded)


def test_a_newer_schema_is_refused(store: StoreBackend) -> None:
    async def main() -> None:
        async with store.make() as s:
            assert await s.migrate() == LATEST
        await store.fetch(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)"
        )
        with pytest.raises(StoreError, match="newer than this smsgate knows"):
            await store.make().open()

    asyncio.run(main())


def test_pending_lists_the_missing_migrations_in_order() -> None:
    assert [m.version for m in pending([])] == [m.version for m in MIGRATIONS]
    assert [m.version for m in pending([1])] == [m.version for m in MIGRATIONS[1:]]
    assert pending([m.version for m in MIGRATIONS]) == []
    assert [m.version for m in pending([], target=1)] == [1]
    with pytest.raises(ValueError, match="no schema version"):
        pending([], target=LATEST + 1)
    versions = [m.version for m in MIGRATIONS]
    # in order and each once; a number may be skipped (a migration keeps the number it was given)
    assert versions == sorted(set(versions)) and versions[0] == 1
