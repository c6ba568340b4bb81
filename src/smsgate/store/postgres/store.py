"""The PostgreSQL backend on asyncpg: a writer task doing group commit, reads from a pool.

Only the writer task writes messages (`apply`: a few set-based statements a batch), so batches
commit in the order callers queued them. Several nodes may share the database: outbox claims
skip the rows another node has locked.
"""

from __future__ import annotations  # asyncpg's classes are generic in its stubs only

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar, Final

import asyncpg

from smsgate.domain.message import Message, Part
from smsgate.domain.routing_tables import PortabilityRow
from smsgate.store import sql
from smsgate.store.base import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_PENDING,
    DEFAULT_QUEUE_WAIT,
    Store,
)
from smsgate.store.batch import PendingWrite, WritePlan, plan_writes, take_batch
from smsgate.store.columns import Row
from smsgate.store.errors import StoreClosedError, StoreFencedError
from smsgate.store.migrations import SCHEMA_MIGRATIONS_DDL, pending, render
from smsgate.store.postgres.apply import Conn, apply, environmental, rowcount, translate
from smsgate.store.postgres.cluster import PostgresCluster
from smsgate.store.reads.cluster import TAKE
from smsgate.store.rows import message_from, part_from

DEFAULT_POOL_SIZE: Final = 4
# a job's advisory lock key, from its name ($1) and the schema
_JOB_KEY: Final = "hashtextextended('smsgate job ' || $1 || ' in ' || current_schema(), 0)"
QUEUE_DEAD_ROWS: Final = 2_000  # dead outbox rows that make a vacuum worth its cost
MIGRATION_LOCK: Final = 0x736D_7367_6174_6531  # advisory lock key: one migrating process at a time
SETUP_LOCK: Final = 0x736D_7367_6174_6532  # one starting node at a time seeds its configuration
TAKE_TOKENS: Final = TAKE.format(least="LEAST", greatest="GREATEST")
Q: Final = sql.numbered  # the shared `?` statements, as asyncpg wants them
PARTS_OF: Final = f"{sql.PART_SELECT} WHERE message_id = ANY($1::text[]) ORDER BY message_id, seq"
UPSERT_PORTABILITY: Final = """INSERT INTO portability (number, carrier, updated_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::float8[])
    ON CONFLICT (number) DO UPDATE SET
        carrier = excluded.carrier, updated_at = excluded.updated_at"""


async def _keep_session(conn: asyncpg.Connection[Any]) -> None:
    """Pool reset: asyncpg has already ended any open transaction; the store sets no session
    state, so the default RESET ALL round trip on every release is skipped."""


class PostgresStore(PostgresCluster, Store):
    _claim_lock: ClassVar[str] = "FOR UPDATE SKIP LOCKED"
    _claimer: ClassVar[str] = "current_setting('smsgate.node', true)"
    shared: ClassVar[bool] = True
    _take_tokens: ClassVar[str] = TAKE_TOKENS

    def __init__(
        self,
        dsn: str,
        *,
        auto_migrate: bool = True,
        pool_size: int = DEFAULT_POOL_SIZE,
        max_pending: int = DEFAULT_MAX_PENDING,
        queue_wait: float = DEFAULT_QUEUE_WAIT,
        max_batch: int = DEFAULT_MAX_BATCH,
        connect_timeout: float = 10.0,
        close_timeout: float = 10.0,
        node_id: str | None = None,
        durability: str = "disk",
    ) -> None:
        super().__init__(max_pending=max_pending, queue_wait=queue_wait, max_batch=max_batch)
        self.dsn = dsn
        self._auto_migrate = auto_migrate
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._close_timeout = close_timeout
        # rows a node inserts name it: a message's owner is the node that accepted it
        self.node_id = node_id
        self._settings: dict[str, str] = {"smsgate.node": node_id} if node_id else {}
        if durability == "process":  # the commit returns before its WAL is flushed
            self._settings["synchronous_commit"] = "off"
        self._pool: asyncpg.Pool[Any] | None = None
        self._writes: asyncpg.Pool[Any] | None = None  # the writer's own connection
        self._liveness: asyncpg.Pool[Any] | None = None  # one connection, for the node's beats
        self._queue: deque[PendingWrite] = deque()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._writer: asyncio.Task[None] | None = None
        self._committing: Conn | None = None  # the writer's connection while it commits

    # lifecycle

    async def open(self) -> None:
        if self._pool is not None:
            raise RuntimeError("a PostgresStore opens once")
        # A statement's cached generic plan is made once, often while its tables are still
        # empty: a set-based UPDATE ... FROM unnest planned then as a sequential scan kept
        # scanning the whole table long after it grew (until autovacuum's next analyze).
        # Readers plan each execution, with the table's real pages. The writer's statements
        # all find their rows by key: its connection forbids sequential scans instead and keeps
        # the generic plans, which saves the planning of its large statement at every batch
        # (A/B: 10% more messages per second, 7% less CPU).
        self._pool = await self._connect(self._pool_size, plan_cache_mode="force_custom_plan")
        self._writes = await self._connect(1, enable_seqscan="off")
        if self.node_id is not None:
            # a node's heartbeats and lease renewals never queue behind its busy pool: late,
            # they would fence a node that is only loaded
            self._liveness = await asyncpg.create_pool(
                self.dsn, min_size=1, max_size=1, timeout=self._connect_timeout
            )
        self._accepting = True
        if self._auto_migrate:
            try:
                await self.migrate()
            except BaseException:
                await self.close()
                raise
        self._writer = asyncio.create_task(self._writer_main(), name="smsgate-store-writer")

    async def _connect(self, size: int, **settings: str) -> asyncpg.Pool[Any]:
        return await asyncpg.create_pool(
            self.dsn,
            min_size=1,
            max_size=size,
            reset=_keep_session,
            timeout=self._connect_timeout,
            server_settings=self._settings | settings,
        )

    async def close(self) -> None:
        if self._pool is None or self._stopping:
            return
        self._accepting = False
        self._stopping = True
        self._wakeup.set()
        await self._stop_listening()
        if self._writer is not None:
            await asyncio.wait({self._writer})  # never raises, even if it was cancelled
        for pool in (self._pool, self._writes, self._liveness):
            if pool is None:
                continue
            try:
                await asyncio.wait_for(pool.close(), self._close_timeout)
            except TimeoutError:
                pool.terminate()

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        if self._pool is None or not self._accepting:
            raise StoreClosedError("the store is not open")
        return self._pool

    @property
    def liveness_pool(self) -> asyncpg.Pool[Any]:
        return self._liveness if self._liveness is not None and self._accepting else self.pool

    # the writer task

    def _enqueue(self, items: Sequence[PendingWrite]) -> None:
        self._queue.extend(items)
        self._wakeup.set()

    async def _writer_main(self) -> None:
        try:
            while True:
                if not self._queue:
                    if self._stopping:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                batch = take_batch(self._queue, self._max_batch)
                try:
                    outcomes = await self._commit(batch)
                except BaseException:  # cancelled: the callers must not wait forever
                    self._settle(
                        batch, [StoreClosedError("the store's writer stopped")] * len(batch)
                    )
                    raise
                self._settle(batch, outcomes)
        finally:
            # the writer is gone (closed or cancelled): nobody may wait for it
            self._accepting = False
            left = list(self._queue)
            self._queue.clear()
            if left:
                self._settle(left, [StoreClosedError("the store's writer stopped")] * len(left))

    async def _commit_plan(self, plan: WritePlan) -> None:
        assert self._writes is not None
        async with self._writes.acquire() as conn:
            if self.fenced:
                raise StoreFencedError("this node is fenced off: it writes nothing now")
            self._committing = conn
            try:
                await apply(conn, plan)
            finally:
                self._committing = None

    def fence(self) -> None:
        """Also abort the transaction being committed: its COMMIT, perhaps still waiting in
        the socket for the network to come back, must never land after another node took
        this node's work over."""
        super().fence()
        conn = self._committing
        if conn is not None:
            conn.terminate()

    async def _commit(self, batch: list[PendingWrite]) -> list[BaseException | None]:
        try:
            await self._commit_plan(plan_writes(item.changes for item in batch))
        except Exception as error:
            if len(batch) == 1 or environmental(error) or isinstance(error, StoreFencedError):
                return [translate(error)] * len(batch)
        else:
            self._count(batch, 1)
            return [None] * len(batch)
        # one caller's changes may have failed the shared transaction: replay each alone
        self.stats["fallbacks"] += 1
        outcomes: list[BaseException | None] = []
        for item in batch:
            try:
                await self._commit_plan(plan_writes([item.changes]))
            except Exception as error:
                outcomes.append(translate(error))
            else:
                self._count([item], 1)
                outcomes.append(None)
        return outcomes

    @contextlib.asynccontextmanager
    async def setup_lock(self) -> AsyncIterator[None]:
        async with self.pool.acquire() as conn:
            # a session lock, released by hand: the pool's reset does not release it
            await conn.execute("SELECT pg_advisory_lock($1)", SETUP_LOCK)
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", SETUP_LOCK)

    # schema

    async def migrate(self, target: int | None = None) -> int:
        async with self.pool.acquire() as conn:
            # a session lock, released by hand: the pool's reset does not release it
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await conn.execute(render(SCHEMA_MIGRATIONS_DDL, "postgres"))
                applied = [row[0] for row in await conn.fetch(sql.SCHEMA_VERSIONS)]
                for migration in pending(applied, target):
                    async with conn.transaction():
                        for statement in migration.statements:
                            await conn.execute(render(statement, "postgres"))
                        await conn.execute(
                            Q(sql.RECORD_MIGRATION), migration.version, migration.name, time.time()
                        )
                version = await conn.fetchval(sql.SCHEMA_VERSION)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        return int(version or 0)

    @contextlib.asynccontextmanager
    async def job_lock(self, name: str) -> AsyncIterator[bool]:
        """A session advisory lock named after the job and the schema, tried, not waited for:
        another node holding it is running the job now. Advisory locks are the database's, so
        the schema is in the key: gateways kept in other schemas of one database run their
        jobs on their own rows."""
        async with self.pool.acquire() as conn:
            taken = bool(await conn.fetchval(f"SELECT pg_try_advisory_lock({_JOB_KEY})", name))
            try:
                yield taken
            finally:
                if taken:
                    await conn.execute(f"SELECT pg_advisory_unlock({_JOB_KEY})", name)

    async def tidy_queues(self) -> int:
        # Every claim and settle of an outbox item leaves a dead row version and its entries
        # in the due-items index, which each claim's index scan walks past until a vacuum:
        # measured, claims touched 2,000-3,000 buffers instead of ~300 and MO delivery fell
        # from 4,600/s to under 1,000/s within 20,000 items. Autovacuum looks at most once a
        # minute (autovacuum_naptime), too seldom for a queue this busy. One connection does
        # the look, the lock (one node at a time) and the vacuum: a job holding a connection
        # while it waits for another could starve the pool.
        async with self.pool.acquire() as conn:
            dead = await conn.fetchval(
                "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'outbox'::regclass"
            )
            if not dead or dead < QUEUE_DEAD_ROWS:
                return 0
            if not await conn.fetchval(f"SELECT pg_try_advisory_lock({_JOB_KEY})", "vacuum"):
                return 0  # another node is at it
            try:
                await conn.execute("VACUUM (ANALYZE) outbox")
            finally:
                await conn.execute(f"SELECT pg_advisory_unlock({_JOB_KEY})", "vacuum")
        return int(dead)

    async def schema_version(self) -> int:
        version = await self.pool.fetchval(sql.SCHEMA_VERSION)
        return int(version or 0)

    # the primitives of the shared queries (smsgate.store.reads)

    async def _select_rows(self, query: str, params: Sequence[Any]) -> list[Row]:
        return list(await self.pool.fetch(Q(query), *params))

    async def _select_messages(self, query: str, params: Sequence[Any]) -> list[Message]:
        """Messages and their parts from one snapshot."""
        async with (
            self.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            return await self._with_parts(conn, await conn.fetch(Q(query), *params))

    async def _with_parts(self, conn: Conn, rows: list[Any]) -> list[Message]:
        if not rows:
            return []
        parts: dict[str, list[Part]] = {row[0]: [] for row in rows}
        for part_row in await conn.fetch(PARTS_OF, list(parts)):
            parts[part_row[0]].append(part_from(part_row))
        return [message_from(row, parts[row[0]]) for row in rows]

    async def _change_rows(self, query: str, params: Sequence[Any]) -> int:
        try:
            status: str = await self.pool.execute(Q(query), *params)
        except asyncpg.IntegrityConstraintViolationError as error:
            raise translate(error) from error
        return rowcount(status)

    async def _change_returning(self, query: str, params: Sequence[Any]) -> list[Row]:
        return list(await self.pool.fetch(Q(query), *params))

    async def _replace_rows(
        self,
        delete: str,
        delete_params: Sequence[Any],
        insert: str,
        rows: Sequence[Sequence[Any]],
    ) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(Q(delete), *delete_params)
            await conn.executemany(Q(insert), rows)

    async def _upsert_portability(self, rows: Sequence[PortabilityRow]) -> None:
        # ON CONFLICT DO UPDATE may not meet a row twice in one statement: last one wins
        latest = {row.number: row for row in rows}
        await self.pool.execute(
            UPSERT_PORTABILITY,
            list(latest),
            [row.carrier for row in latest.values()],
            [row.updated_at for row in latest.values()],
        )
