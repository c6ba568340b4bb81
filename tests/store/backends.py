"""Store backends for tests, importable by any test package.

SQLite always runs (a file under the test's tmp_path). PostgreSQL runs where reachable at
SMSGATE_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test), each test in a schema of
its own that is dropped afterwards; where it is not reachable its cases are skipped with the
reason, except under CI=true, where that is a failure.

    @pytest.fixture(params=BACKENDS)
    def store(request, tmp_path):
        with store_backend(request.param, tmp_path) as backend:
            yield backend

    def test_something(store: StoreBackend) -> None:
        async def body(s: Store) -> None: ...
        store.run(body)
"""

import asyncio
import functools
import os
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import pytest

from smsgate.store import Store
from smsgate.store.postgres import PostgresStore
from smsgate.store.sqlite import SqliteStore

PG_URL: Final = os.environ.get("SMSGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS: Final = ("sqlite", "postgres")
TIMEOUT: Final = 30.0  # seconds a test body may take


def with_search_path(url: str, schema: str) -> str:
    """The URL with a search_path server setting (asyncpg passes unknown query keys on)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


@functools.cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None if it can (asked once per run)."""

    async def probe() -> None:
        conn = await asyncpg.connect(PG_URL, timeout=5)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as error:  # any reason at all is reported as the skip reason
        return f"PostgreSQL not reachable at {PG_URL}: {error!r}"
    return None


def require_postgres() -> None:
    problem = postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(problem + " (CI=true: a missing server is a failure)")
    pytest.skip(problem)


@dataclass(frozen=True)
class StoreBackend:
    name: str
    url: str  # what open_store takes

    def make(self, **options: Any) -> Store:
        """A store for this backend, not opened yet."""
        if self.name == "sqlite":
            return SqliteStore(self.url, **options)
        return PostgresStore(self.url, **options)

    def run(
        self,
        body: Callable[[Store], Awaitable[None]],
        *,
        timeout: float = TIMEOUT,
        **options: Any,
    ) -> None:
        """Open a store, run `body` with it on a fresh event loop, close it."""

        async def main() -> None:
            async with asyncio.timeout(timeout), self.make(**options) as store:
                await body(store)

        asyncio.run(main())

    async def fetch(self, query: str) -> list[tuple[Any, ...]]:
        """Rows of a statement run beside the store, on a connection of its own, committed."""
        if self.name == "sqlite":

            def run() -> list[tuple[Any, ...]]:
                conn = sqlite3.connect(self.url, isolation_level=None)
                try:
                    return [tuple(row) for row in conn.execute(query)]
                finally:
                    conn.close()

            return await asyncio.to_thread(run)
        conn = await asyncpg.connect(self.url, timeout=10)
        try:
            return [tuple(row) for row in await conn.fetch(query)]
        finally:
            await conn.close()


async def _postgres_admin(statement: str) -> None:
    conn = await asyncpg.connect(PG_URL, timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def store_backend(name: str, tmp_path: Path) -> Iterator[StoreBackend]:
    if name == "sqlite":
        yield StoreBackend("sqlite", str(tmp_path / "store" / "smsgate.db"))
        return
    if name != "postgres":
        raise ValueError(f"no store backend {name!r}")
    require_postgres()
    schema = f"smsgate_test_{secrets.token_hex(6)}"
    asyncio.run(_postgres_admin(f"CREATE SCHEMA {schema}"))
    try:
        yield StoreBackend("postgres", with_search_path(PG_URL, schema))
    finally:
        asyncio.run(_postgres_admin(f"DROP SCHEMA {schema} CASCADE"))


def sqlite_schema_rows(tmp_path: Path, query: str) -> list[tuple[Any, ...]]:
    """Rows of `query` over a SQLite file with the store's schema (opening the store migrates
    it)."""
    rows: list[tuple[Any, ...]] = []

    async def body(s: Store) -> None:
        rows.extend(await sqlite.fetch(query))

    with store_backend("sqlite", tmp_path) as sqlite:
        sqlite.run(body)
    return rows


def sqlite_explain(tmp_path: Path, statement: str, *, plan: bool = True) -> list[str]:
    """SQLite's query plan of `statement` (its parameters NULL) over the store's schema, step
    by step; with `plan` False, its program's opcodes."""
    filled = statement.replace("?", "NULL")
    rows = sqlite_schema_rows(tmp_path, f"EXPLAIN {'QUERY PLAN ' if plan else ''}{filled}")
    return [str(row[-1] if plan else row[1]) for row in rows]
