"""The PostgreSQL backend on asyncpg: a writer task doing group commit, reads from a pool.

Each batch is a handful of set-based statements whatever its size: inserts as
`INSERT ... SELECT FROM unnest(arrays)` and updates as `UPDATE ... FROM unnest(arrays)`, so one
round trip carries a thousand rows. Only the writer task writes messages, so batches commit in
the order callers queued them.
"""

from __future__ import annotations  # asyncpg's classes are generic in its stubs only

import asyncio
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import astuple
from itertools import islice
from typing import Any, Final, TypeAlias

import asyncpg

from smsgate.domain.account import Account
from smsgate.domain.message import Message, Part, StatusChange
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.pricing import PriceRule
from smsgate.domain.routing_tables import ConnectorRow, PortabilityRow, PrefixRow, RouteRow
from smsgate.store import sql
from smsgate.store.base import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_PENDING,
    DEFAULT_QUEUE_WAIT,
    MAX_PAGE,
    MAX_UNFINISHED_PAGE,
    Store,
    check_limit,
)
from smsgate.store.batch import PendingWrite, WritePlan, check_found, plan_writes, take_batch
from smsgate.store.columns import Table, names
from smsgate.store.errors import BalanceError, DuplicateError, IntegrityError, StoreClosedError
from smsgate.store.migrations import SCHEMA_MIGRATIONS_DDL, pending, render
from smsgate.store.rows import (
    HISTORY,
    INBOUND,
    MESSAGES,
    OUTBOX,
    PARTS,
    SEGMENTS,
    account_from,
    account_values,
    balance_rows,
    connector_from,
    connector_values,
    expired_key_rows,
    history_from,
    idempotent_values,
    inbound_values,
    message_from,
    message_update_row,
    message_values,
    opt_out_rows,
    outbox_from,
    outbox_update_row,
    outbox_values,
    part_from,
    part_update_row,
    part_values,
    prefix_from,
    price_values,
    replaced_values,
    route_from,
    route_values,
    segment_values,
)

Columns = Sequence[tuple[str, str]]
Conn: TypeAlias = "asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any]"

DEFAULT_POOL_SIZE: Final = 4
COPY_FROM: Final = 64  # rows from which an insert uses COPY rather than unnest
MIGRATION_LOCK: Final = 0x736D_7367_6174_6531  # advisory lock key: one migrating process at a time


def _unnest(columns: Columns) -> str:
    return ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(columns, 1))


def _insert_unnest(table: Table) -> str:
    return (
        f"INSERT INTO {table.name} ({table.names()}) SELECT * FROM unnest({_unnest(table.pairs)})"
    )


def _update_unnest(update: sql.SetUpdate) -> str:
    return (
        f"UPDATE {update.table} AS {update.alias} SET {update.assignments}"
        f" FROM unnest({_unnest(update.columns)}) AS u({names(update.columns)})"
        f" WHERE {update.where()}"
    )


INSERT_MESSAGES: Final = _insert_unnest(MESSAGES)
INSERT_PARTS: Final = _insert_unnest(PARTS)
INSERT_INBOUND: Final = _insert_unnest(INBOUND)
INSERT_OUTBOX: Final = _insert_unnest(OUTBOX)
INSERT_SEGMENTS: Final = _insert_unnest(SEGMENTS)
UPDATE_OUTBOX: Final = _update_unnest(sql.OUTBOX_UPDATE)
CLAIM_INBOUND: Final = _update_unnest(sql.INBOUND_CLAIM)
UPDATE_BALANCES: Final = _update_unnest(sql.BALANCE_UPDATE)
CLAIM_OUTBOX: Final = sql.numbered(sql.claim_outbox(account=False, lock="FOR UPDATE SKIP LOCKED"))
CLAIM_ACCOUNT_OUTBOX: Final = sql.numbered(
    sql.claim_outbox(account=True, lock="FOR UPDATE SKIP LOCKED")
)
# WITH ORDINALITY: history ids follow the order the changes were written
INSERT_HISTORY: Final = (
    f"INSERT INTO status_history ({HISTORY.names()})"
    f" SELECT {HISTORY.names()} FROM unnest({_unnest(HISTORY.pairs)})"
    f" WITH ORDINALITY AS u({HISTORY.names()}, n) ORDER BY n"
)
UPDATE_PARTS: Final = _update_unnest(sql.PART_UPDATE)
UPDATE_MESSAGES: Final = _update_unnest(sql.MESSAGE_UPDATE)
PARTS_OF: Final = f"{sql.PART_SELECT} WHERE message_id = ANY($1::text[]) ORDER BY message_id, seq"
UPSERT_PORTABILITY: Final = """INSERT INTO portability (number, carrier, updated_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::float8[])
    ON CONFLICT (number) DO UPDATE SET
        carrier = excluded.carrier, updated_at = excluded.updated_at"""

Q: Final = sql.numbered  # the shared `?` statements, as asyncpg wants them
DELETE_SEGMENTS: Final = Q(sql.DELETE_SEGMENTS)
UPSERT_OPT_OUT: Final = Q(sql.UPSERT_OPT_OUT)
DELETE_OPT_OUT: Final = Q(sql.DELETE_OPT_OUT)
REPLACE_MESSAGE: Final = Q(sql.REPLACE_MESSAGE)
DELETE_PARTS: Final = Q(sql.DELETE_PARTS)


def environmental(error: BaseException) -> bool:
    """An error of the connection or the server rather than of one caller's changes: replaying
    the batch call by call would only fail again, once per call."""
    return isinstance(
        error,
        OSError
        | TimeoutError
        | asyncpg.InterfaceError
        | asyncpg.PostgresConnectionError
        | asyncpg.InsufficientResourcesError
        | asyncpg.OperatorInterventionError,
    )


def translate(error: BaseException) -> BaseException:
    """asyncpg's constraint errors as the store's own."""
    if isinstance(error, asyncpg.UniqueViolationError):
        return DuplicateError(f"{error.constraint_name}: {error.detail or error}")
    if isinstance(error, asyncpg.CheckViolationError) and error.constraint_name == (
        "balances_amount_check"
    ):
        return BalanceError(str(error))
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return IntegrityError(str(error.detail or error))
    return error


def _arrays(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one list per column, for `unnest`."""
    return [list(column) for column in zip(*rows, strict=True)]


def _rowcount(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def _insert(conn: Conn, table: Table, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """One set-based insert: `unnest` for a few rows (one round trip); binary COPY for many,
    which encodes rows far faster than asyncpg's generic array encoder."""
    if not rows:
        return
    if len(rows) < COPY_FROM:
        await conn.execute(statement, *_arrays(rows))
    else:
        columns = [column.name for column in table.columns]
        await conn.copy_records_to_table(table.name, records=rows, columns=columns)


async def _apply(conn: Conn, plan: WritePlan) -> None:
    if plan.messages:
        messages = [message_values(m) for m in plan.messages]
        await _insert(conn, MESSAGES, INSERT_MESSAGES, messages)
        parts = [part_values(p) for m in plan.messages for p in m.parts]
        await _insert(conn, PARTS, INSERT_PARTS, parts)
    if plan.replaced:
        found = 0
        for replaced in plan.replaced:
            found += _rowcount(await conn.execute(REPLACE_MESSAGE, *replaced_values(replaced)))
        check_found("message", len(plan.replaced), found)
        await conn.executemany(DELETE_PARTS, [(r.message.id,) for r in plan.replaced])
        parts = [part_values(p) for r in plan.replaced for p in r.message.parts]
        await _insert(conn, PARTS, INSERT_PARTS, parts)
    if plan.inbound:
        inbound = [inbound_values(m) for m in plan.inbound]
        await _insert(conn, INBOUND, INSERT_INBOUND, inbound)
    if plan.part_updates:
        rows = [part_update_row(u) for u in plan.part_updates]
        status = await conn.execute(UPDATE_PARTS, *_arrays(rows))
        check_found("part", len(rows), _rowcount(status))
    if plan.message_updates:
        rows = [message_update_row(u) for u in plan.message_updates]
        status = await conn.execute(UPDATE_MESSAGES, *_arrays(rows))
        check_found("message", len(rows), _rowcount(status))
    # COPY keeps the rows' order, so history ids follow the order of the changes either way
    await _insert(conn, HISTORY, INSERT_HISTORY, plan.history)
    if plan.outbox:
        outbox = [outbox_values(item) for item in plan.outbox]
        await _insert(conn, OUTBOX, INSERT_OUTBOX, outbox)
    if plan.outbox_updates:
        rows = [outbox_update_row(u) for u in plan.outbox_updates]
        status = await conn.execute(UPDATE_OUTBOX, *_arrays(rows))
        check_found("outbox", len(rows), _rowcount(status))
    if plan.segments:
        segments = [segment_values(s) for s in plan.segments]
        await _insert(conn, SEGMENTS, INSERT_SEGMENTS, segments)
    if plan.segments_taken:
        await conn.executemany(DELETE_SEGMENTS, [astuple(t) for t in plan.segments_taken])
    if plan.inbound_claims:
        rows = [astuple(c) for c in plan.inbound_claims]
        status = await conn.execute(CLAIM_INBOUND, *_arrays(rows))
        check_found("inbound", len(rows), _rowcount(status))
    if plan.opt_outs:
        if upserts := opt_out_rows(plan.opt_outs, active=True):
            await conn.executemany(UPSERT_OPT_OUT, upserts)
        if deletes := opt_out_rows(plan.opt_outs, active=False):
            await conn.executemany(DELETE_OPT_OUT, deletes)
    if plan.balances:
        await conn.execute(UPDATE_BALANCES, *_arrays(balance_rows(plan.balances)))
    if plan.idempotent:
        await conn.executemany(Q(sql.DELETE_EXPIRED_KEY), expired_key_rows(plan.idempotent))
        await conn.executemany(
            Q(sql.INSERT_IDEMPOTENT), [idempotent_values(r) for r in plan.idempotent]
        )


async def _keep_session(conn: asyncpg.Connection[Any]) -> None:
    """Pool reset: asyncpg has already ended any open transaction; the store sets no session
    state, so the default RESET ALL round trip on every release is skipped."""


class PostgresStore(Store):
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
    ) -> None:
        super().__init__(max_pending=max_pending, queue_wait=queue_wait, max_batch=max_batch)
        self.dsn = dsn
        self._auto_migrate = auto_migrate
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._close_timeout = close_timeout
        self._pool: asyncpg.Pool[Any] | None = None
        self._queue: deque[PendingWrite] = deque()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._writer: asyncio.Task[None] | None = None

    # lifecycle

    async def open(self) -> None:
        if self._pool is not None:
            raise RuntimeError("a PostgresStore opens once")
        self._pool = await asyncpg.create_pool(
            self.dsn,
            min_size=1,
            max_size=self._pool_size,
            reset=_keep_session,
            timeout=self._connect_timeout,
        )
        self._accepting = True
        if self._auto_migrate:
            try:
                await self.migrate()
            except BaseException:
                await self.close()
                raise
        self._writer = asyncio.create_task(self._writer_main(), name="smsgate-store-writer")

    async def close(self) -> None:
        if self._pool is None or self._stopping:
            return
        self._accepting = False
        self._stopping = True
        self._wakeup.set()
        if self._writer is not None:
            await asyncio.wait({self._writer})  # never raises, even if it was cancelled
        try:
            await asyncio.wait_for(self._pool.close(), self._close_timeout)
        except TimeoutError:
            self._pool.terminate()

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        if self._pool is None or not self._accepting:
            raise StoreClosedError("the store is not open")
        return self._pool

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
        assert self._pool is not None
        async with self._pool.acquire() as conn, conn.transaction():
            await _apply(conn, plan)

    async def _commit(self, batch: list[PendingWrite]) -> list[BaseException | None]:
        try:
            await self._commit_plan(plan_writes(item.changes for item in batch))
        except Exception as error:
            if len(batch) == 1 or environmental(error):
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

    async def schema_version(self) -> int:
        version = await self.pool.fetchval(sql.SCHEMA_VERSION)
        return int(version or 0)

    # messages

    async def _with_parts(self, conn: Conn, rows: list[Any]) -> list[Message]:
        if not rows:
            return []
        parts: dict[str, list[Part]] = {row[0]: [] for row in rows}
        for part_row in await conn.fetch(PARTS_OF, list(parts)):
            parts[part_row[0]].append(part_from(part_row))
        return [message_from(row, parts[row[0]]) for row in rows]

    async def _messages(self, query: str, *args: Any) -> list[Message]:
        """Messages and their parts from one snapshot."""
        async with (
            self.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            return await self._with_parts(conn, await conn.fetch(query, *args))

    async def get_message(self, message_id: str, account_id: str | None = None) -> Message | None:
        if account_id is None:
            found = await self._messages(Q(sql.GET_MESSAGE), message_id)
        else:
            found = await self._messages(Q(sql.GET_ACCOUNT_MESSAGE), message_id, account_id)
        return found[0] if found else None

    async def history(self, message_id: str) -> list[StatusChange]:
        return [history_from(row) for row in await self.pool.fetch(Q(sql.HISTORY_OF), message_id)]

    async def _select_messages(self, query: str, params: list[Any]) -> list[Message]:
        return await self._messages(Q(query), *params)

    async def _select_count(self, query: str, params: list[Any]) -> int:
        return int(await self.pool.fetchval(Q(query), *params))

    async def message_by_client_ref(self, account_id: str, client_ref: str) -> Message | None:
        found = await self._messages(Q(sql.BY_CLIENT_REF), account_id, client_ref)
        return found[0] if found else None

    async def find_part_by_upstream_id(
        self, upstream_id: str, connector_id: str | None = None
    ) -> tuple[str, int] | None:
        if connector_id is None:
            row = await self.pool.fetchrow(Q(sql.BY_UPSTREAM_ID), upstream_id)
        else:
            row = await self.pool.fetchrow(
                Q(sql.BY_UPSTREAM_ID_CONNECTOR), upstream_id, connector_id
            )
        return None if row is None else (row[0], row[1])

    async def unfinished_messages(self, limit: int, after_id: str | None = None) -> list[Message]:
        check_limit(limit, MAX_UNFINISHED_PAGE)
        return await self._messages(Q(sql.UNFINISHED_MESSAGES), after_id or "", limit)

    # accounts

    async def _execute(self, query: str, *args: Any) -> str:
        try:
            status: str = await self.pool.execute(query, *args)
        except asyncpg.IntegrityConstraintViolationError as error:
            raise translate(error) from error
        return status

    async def create_account(self, account: Account) -> None:
        await self._execute(Q(sql.INSERT_ACCOUNT), *account_values(account))

    async def update_account(self, account: Account) -> bool:
        values = account_values(account)
        status = await self._execute(Q(sql.UPDATE_ACCOUNT), *values[1:], values[0])
        return _rowcount(status) > 0

    async def _account(self, query: str, key: str) -> Account | None:
        row = await self.pool.fetchrow(Q(query), key)
        return None if row is None else account_from(row)

    async def get_account(self, account_id: str) -> Account | None:
        return await self._account(sql.GET_ACCOUNT, account_id)

    async def account_by_api_key_hash(self, api_key_hash: str) -> Account | None:
        return await self._account(sql.ACCOUNT_BY_KEY, api_key_hash)

    async def account_by_system_id(self, system_id: str) -> Account | None:
        return await self._account(sql.ACCOUNT_BY_SYSTEM_ID, system_id)

    async def list_accounts(self) -> list[Account]:
        return [account_from(row) for row in await self.pool.fetch(sql.LIST_ACCOUNTS)]

    # routing configuration

    async def upsert_connector(self, connector: ConnectorRow) -> None:
        await self._execute(Q(sql.UPSERT_CONNECTOR), *connector_values(connector))

    async def delete_connector(self, connector_id: str) -> bool:
        return _rowcount(await self._execute(Q(sql.DELETE_CONNECTOR), connector_id)) > 0

    async def list_connectors(self) -> list[ConnectorRow]:
        return [connector_from(row) for row in await self.pool.fetch(sql.LIST_CONNECTORS)]

    async def replace_routes(self, routes: Sequence[RouteRow]) -> None:
        values = [route_values(r) for r in routes]
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(sql.DELETE_ROUTES)
            await conn.executemany(Q(sql.INSERT_ROUTE), values)

    async def replace_prices(self, rules: Sequence[PriceRule]) -> None:
        values = [price_values(i, rule) for i, rule in enumerate(rules)]
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(sql.DELETE_PRICES)
            await conn.executemany(Q(sql.INSERT_PRICE), values)

    async def list_routes(self) -> list[RouteRow]:
        return [route_from(row) for row in await self.pool.fetch(sql.LIST_ROUTES)]

    async def replace_carrier_prefixes(self, rows: Iterable[tuple[str, str]], source: str) -> int:
        values = [(prefix, carrier, source) for prefix, carrier in rows]
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(Q(sql.DELETE_PREFIXES), source)
            await conn.executemany(Q(sql.UPSERT_PREFIX), values)
        return len(values)

    async def list_carrier_prefixes(self) -> list[PrefixRow]:
        return [prefix_from(row) for row in await self.pool.fetch(sql.LIST_PREFIXES)]

    async def import_portability(self, rows: Iterable[PortabilityRow]) -> int:
        total = 0
        source = iter(rows)
        while chunk := list(islice(source, sql.PORTABILITY_CHUNK)):
            # ON CONFLICT DO UPDATE may not meet a row twice in one statement: last one wins
            latest = {row.number: row for row in chunk}
            await self.pool.execute(
                UPSERT_PORTABILITY,
                list(latest),
                [row.carrier for row in latest.values()],
                [row.updated_at for row in latest.values()],
            )
            total += len(chunk)
        return total

    async def portability_carrier(self, number: str) -> str | None:
        carrier = await self.pool.fetchval(Q(sql.PORTABILITY_CARRIER), number)
        return None if carrier is None else str(carrier)

    async def list_portability(self) -> list[tuple[str, str]]:
        rows = await self.pool.fetch(Q(sql.PORTABILITY_ALL))
        return [(str(row[0]), str(row[1])) for row in rows]

    # outbox

    async def claim_outbox(
        self,
        channel: str,
        now: float,
        *,
        limit: int = 100,
        lease: float = 30.0,
        account_id: str | None = None,
    ) -> list[OutboxItem]:
        check_limit(limit, MAX_PAGE)
        if account_id is None:
            rows = await self.pool.fetch(CLAIM_OUTBOX, now + lease, now, channel, now, limit)
        else:
            rows = await self.pool.fetch(
                CLAIM_ACCOUNT_OUTBOX, now + lease, now, channel, account_id, now, limit
            )
        return sorted((outbox_from(row) for row in rows), key=lambda item: item.id)

    async def _select_outbox(self, query: str, params: list[Any]) -> list[OutboxItem]:
        return [outbox_from(row) for row in await self.pool.fetch(Q(query), *params)]

    # inbound

    async def _select_rows(self, query: str, params: list[Any]) -> list[Any]:
        return list(await self.pool.fetch(Q(query), *params))

    async def _change_rows(self, query: str, params: list[Any]) -> int:
        return _rowcount(await self._execute(Q(query), *params))
