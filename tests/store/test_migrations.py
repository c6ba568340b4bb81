"""Schema migrations: upgrade with data in place, idempotence, refusal of a newer schema."""

import asyncio

import pytest

from smsgate.store import Store, StoreError
from smsgate.store.migrations import LATEST, MIGRATIONS, pending
from tests.store.backends import StoreBackend
from tests.store.factories import new_message

INDEXES = {
    "sqlite": "SELECT name FROM sqlite_master"
    " WHERE type = 'index' AND name = 'messages_destination'",
    "postgres": "SELECT indexname FROM pg_indexes"
    " WHERE schemaname = current_schema() AND indexname = 'messages_destination'",
}


def test_upgrade_keeps_the_data(store: StoreBackend) -> None:
    old = [new_message(destination="111"), new_message(destination="222", parts=3)]

    async def at_previous_version() -> None:
        async with store.make(auto_migrate=False) as s:
            assert await s.migrate(target=LATEST - 1) == LATEST - 1
            assert await s.schema_version() == LATEST - 1
            await s.write(old)
        assert await store.fetch(INDEXES[store.name]) == []

    async def upgraded(s: Store) -> None:
        assert await s.schema_version() == LATEST
        assert await store.fetch(INDEXES[store.name]) == [("messages_destination",)]
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
    assert [m.version for m in pending([1])] == list(range(2, LATEST + 1))
    assert pending([m.version for m in MIGRATIONS]) == []
    assert [m.version for m in pending([], target=1)] == [1]
    with pytest.raises(ValueError, match="no schema version"):
        pending([], target=LATEST + 1)
    versions = [m.version for m in MIGRATIONS]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
