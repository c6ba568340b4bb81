"""The SQLite backend: a writer process doing group commit, reads on their own connections.

WAL journal with synchronous=FULL: a commit is on disk (the WAL fsynced) before any caller is
told so. SQLite allows one writer at a time, so every write, including configuration changes,
goes through the writer's queue (`smsgate.store.sqlite_writer`, a process of its own: see there
why) over a socket pair; reads run in a small thread pool on read-only connections and, under
WAL, never wait behind the writer. Migrations run on a connection of their own before the
writer starts (several processes may migrate the same file at once: each waits for the other).
"""

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any, Final, TypeVar, cast

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
from smsgate.store.batch import PendingWrite
from smsgate.store.errors import (
    StoreClosedError,
    StoreError,
)
from smsgate.store.migrations import SCHEMA_MIGRATIONS_DDL, pending, render
from smsgate.store.rows import (
    account_from,
    account_values,
    connector_from,
    connector_values,
    history_from,
    message_from,
    outbox_from,
    part_from,
    portability_values,
    prefix_from,
    price_values,
    route_from,
    route_values,
)
from smsgate.store.sqlite_apply import connect, transaction
from smsgate.store.sqlite_rows import MINIMUM_VERSION
from smsgate.store.wire import (
    JOB,
    WRITES,
    encode_groups,
    error_in,
    frame,
    unframe,
)

T = TypeVar("T")
_JobResult = tuple[list[Any], int]

DEFAULT_READERS: Final = 2
CLAIM_OUTBOX: Final = sql.claim_outbox(account=False, lock="")
CLAIM_ACCOUNT_OUTBOX: Final = sql.claim_outbox(account=True, lock="")
PARTS_OF: Final = (
    f"{sql.PART_SELECT} WHERE message_id IN (SELECT value FROM json_each(?))"
    " ORDER BY message_id, seq"
)


class _WriterLink(asyncio.Protocol):
    """The store's end of the socket to its writer process: requests out, answers back in the
    same order."""

    def __init__(self, store: "SqliteStore") -> None:
        self._store = store
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.BaseTransport | None = None
        self._buffer = bytearray()
        self._outgoing: list[bytes] = []  # frames of this turn of the loop, written together
        self._waiting: deque[PendingWrite | asyncio.Future[_JobResult]] = deque()
        self._drained: asyncio.Future[None] | None = None
        self._lost = False
        self.ready: asyncio.Future[None] = self._loop.create_future()
        self.closed: asyncio.Future[None] = self._loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def _write(self, payload: Any) -> None:
        # one write (a system call) per turn of the event loop, however many callers wrote
        if not self._outgoing:
            self._loop.call_soon(self._flush)
        self._outgoing.append(frame(payload))

    def _flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if not self._lost:
            # uvloop's transports are not registered as asyncio.WriteTransport
            cast(asyncio.WriteTransport, self._transport).write(b"".join(outgoing))

    def send_writes(self, items: Sequence[PendingWrite]) -> None:
        if self._lost:
            self._store._settle(items, [_gone()] * len(items))
            return
        self._waiting.extend(items)
        self._write((WRITES, encode_groups([item.changes for item in items])))

    def send_job(
        self, transaction: bool, steps: Sequence[tuple[bool, str, Any]]
    ) -> asyncio.Future[_JobResult]:
        if self._lost:
            raise _gone()
        future: asyncio.Future[_JobResult] = self._loop.create_future()
        self._waiting.append(future)
        self._write((JOB, transaction, list(steps)))
        return future

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        for answer in unframe(self._buffer):
            kind = answer[0]
            if kind == WRITES:
                _, fallback, outcomes = answer
                batch = [cast(PendingWrite, self._waiting.popleft()) for _ in outcomes]
                errors = [None if sent is None else error_in(sent) for sent in outcomes]
                self._store._answered(batch, fallback, errors)
            elif kind == JOB:
                _, error, rows, count = answer
                future = cast("asyncio.Future[_JobResult]", self._waiting.popleft())
                if future.done():  # its caller was cancelled
                    continue
                if error is None:
                    future.set_result((rows, count))
                else:
                    future.set_exception(error_in(error))
            elif not self.ready.done():  # READY
                if answer[1] is None:
                    self.ready.set_result(None)
                else:
                    self.ready.set_exception(error_in(answer[1]))
        if not self._waiting and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._store._writer_gone()
        if not self.ready.done():
            self.ready.set_exception(StoreError("the store's writer ended before it was ready"))
        waiting, self._waiting = list(self._waiting), deque()
        writes = [item for item in waiting if isinstance(item, PendingWrite)]
        if writes:
            self._store._settle(writes, [_gone()] * len(writes))
        for item in waiting:
            if isinstance(item, asyncio.Future) and not item.done():
                item.set_exception(_gone())
        for future in (self._drained, self.closed):
            if future is not None and not future.done():
                future.set_result(None)

    async def finish(self) -> None:
        """Once every request has its answer, close: the writer ends with its socket."""
        if self._waiting and not self._lost:
            self._drained = self._loop.create_future()
            await self._drained
        assert self._transport is not None
        self._transport.close()
        await self.closed


def _gone() -> StoreClosedError:
    return StoreClosedError("the store's writer stopped")


def _with_parts(conn: sqlite3.Connection, rows: list[Any]) -> list[Message]:
    if not rows:
        return []
    parts: dict[str, list[Part]] = {row[0]: [] for row in rows}
    for part_row in conn.execute(PARTS_OF, (json.dumps(list(parts)),)):
        parts[part_row[0]].append(part_from(part_row))
    return [message_from(row, parts[row[0]]) for row in rows]


def _schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute(sql.SCHEMA_VERSION).fetchone()[0] or 0)


class SqliteStore(Store):
    def __init__(
        self,
        path: str | Path,
        *,
        auto_migrate: bool = True,
        readers: int = DEFAULT_READERS,
        max_pending: int = DEFAULT_MAX_PENDING,
        queue_wait: float = DEFAULT_QUEUE_WAIT,
        max_batch: int = DEFAULT_MAX_BATCH,
        busy_timeout: float = 10.0,
    ) -> None:
        super().__init__(max_pending=max_pending, queue_wait=queue_wait, max_batch=max_batch)
        self.path = Path(path)
        self._auto_migrate = auto_migrate
        self._reader_count = readers
        self._busy_timeout = busy_timeout
        self._writer: _WriterLink | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._closing = False

    # lifecycle

    async def open(self) -> None:
        if self._process is not None:
            raise RuntimeError("a SqliteStore opens once")
        if sqlite3.sqlite_version_info < MINIMUM_VERSION:
            wanted = ".".join(map(str, MINIMUM_VERSION))
            raise StoreError(f"SQLite {wanted} or newer is needed; found {sqlite3.sqlite_version}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._auto_migrate:
            await self._migrate(None)
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "smsgate.store.sqlite_writer",
                    str(theirs.fileno()),
                    str(self.path),
                    str(self._busy_timeout),
                    str(self._max_batch),
                ],
                pass_fds=[theirs.fileno()],
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        loop = asyncio.get_running_loop()
        try:
            _, self._writer = await loop.create_unix_connection(
                lambda: _WriterLink(self), sock=ours
            )
        except BaseException:
            ours.close()  # the writer ends with its socket
            await asyncio.to_thread(self._process.wait)
            raise
        try:
            await self._writer.ready
        except BaseException:
            await self.close()
            raise
        self._readers = ThreadPoolExecutor(
            self._reader_count, thread_name_prefix="smsgate-store-reader"
        )
        self._accepting = True

    async def close(self) -> None:
        if self._process is None or self._closing:
            return
        self._closing = True
        self._accepting = False
        if self._writer is not None:
            await self._writer.finish()
        await asyncio.to_thread(self._process.wait)
        if self._readers is not None:
            await asyncio.to_thread(self._readers.shutdown, True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()

    @property
    def writer_pid(self) -> int | None:
        """The writer process's id, once open."""
        return None if self._process is None else self._process.pid

    def _writer_gone(self) -> None:
        """The writer process ended: nothing more can be written."""
        self._accepting = False

    # writes and jobs, through the writer process

    def _enqueue(self, items: Sequence[PendingWrite]) -> None:
        assert self._writer is not None
        self._writer.send_writes(items)

    def _answered(
        self, batch: Sequence[PendingWrite], fallback: bool, outcomes: list[BaseException | None]
    ) -> None:
        if fallback:
            self.stats["fallbacks"] += 1
            for item, error in zip(batch, outcomes, strict=True):
                if error is None:
                    self._count([item], 1)
        elif outcomes and outcomes[0] is None:
            self._count(batch, 1)
        self._settle(batch, outcomes)

    async def _job(
        self, steps: Sequence[tuple[bool, str, Any]], *, transaction: bool = True
    ) -> tuple[list[Any], int]:
        """Run `steps` (executemany?, query, parameters) in the writer's queue order, in one
        transaction; the last step's rows and row count."""
        if not self._accepting or self._writer is None:
            raise StoreClosedError("the store is not open")
        return await self._writer.send_job(transaction, steps)

    # reads

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(
                self.path, read_only=True, busy_timeout=self._busy_timeout
            )
            with self._reader_lock:
                self._reader_conns.append(conn)
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if not self._accepting or self._readers is None:
            raise StoreClosedError("the store is not open")

        def run() -> T:
            conn = self._reader()
            # one read transaction: a message and its parts come from the same snapshot
            with transaction(conn, "BEGIN"):
                return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self._readers, run)

    # schema

    async def migrate(self, target: int | None = None) -> int:
        if self._closing:
            raise StoreClosedError("the store is closed")
        return await self._migrate(target)

    async def _migrate(self, target: int | None) -> int:
        def run() -> int:
            conn = connect(self.path, read_only=False, busy_timeout=self._busy_timeout)
            try:
                return migrate(conn)
            finally:
                conn.close()

        def migrate(conn: sqlite3.Connection) -> int:
            conn.execute(render(SCHEMA_MIGRATIONS_DDL, "sqlite"))
            with transaction(conn):  # IMMEDIATE: a second process waits for the first
                applied = [row[0] for row in conn.execute(sql.SCHEMA_VERSIONS)]
            for migration in pending(applied, target):
                with transaction(conn):
                    # another process may have applied it meanwhile
                    if conn.execute(
                        "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
                    ).fetchone():
                        continue
                    for statement in migration.statements:
                        conn.execute(render(statement, "sqlite"))
                    conn.execute(
                        sql.RECORD_MIGRATION, (migration.version, migration.name, time.time())
                    )
            return _schema_version(conn)

        return await asyncio.to_thread(run)

    async def schema_version(self) -> int:
        return await self._read(_schema_version)

    # messages

    async def get_message(self, message_id: str, account_id: str | None = None) -> Message | None:
        def run(conn: sqlite3.Connection) -> Message | None:
            if account_id is None:
                row = conn.execute(sql.GET_MESSAGE, (message_id,)).fetchone()
            else:
                row = conn.execute(sql.GET_ACCOUNT_MESSAGE, (message_id, account_id)).fetchone()
            if row is None:
                return None
            parts = [part_from(p) for p in conn.execute(sql.MESSAGE_PARTS, (message_id,))]
            return message_from(row, parts)

        return await self._read(run)

    async def history(self, message_id: str) -> list[StatusChange]:
        def run(conn: sqlite3.Connection) -> list[StatusChange]:
            return [history_from(row) for row in conn.execute(sql.HISTORY_OF, (message_id,))]

        return await self._read(run)

    async def _select_messages(self, query: str, params: list[Any]) -> list[Message]:
        def run(conn: sqlite3.Connection) -> list[Message]:
            return _with_parts(conn, conn.execute(query, params).fetchall())

        return await self._read(run)

    async def _select_count(self, query: str, params: list[Any]) -> int:
        def run(conn: sqlite3.Connection) -> int:
            return int(conn.execute(query, params).fetchone()[0])

        return await self._read(run)

    async def message_by_client_ref(self, account_id: str, client_ref: str) -> Message | None:
        def run(conn: sqlite3.Connection) -> Message | None:
            rows = conn.execute(sql.BY_CLIENT_REF, (account_id, client_ref)).fetchall()
            found = _with_parts(conn, rows)
            return found[0] if found else None

        return await self._read(run)

    async def find_part_by_upstream_id(
        self, upstream_id: str, connector_id: str | None = None
    ) -> tuple[str, int] | None:
        def run(conn: sqlite3.Connection) -> tuple[str, int] | None:
            if connector_id is None:
                row = conn.execute(sql.BY_UPSTREAM_ID, (upstream_id,)).fetchone()
            else:
                row = conn.execute(
                    sql.BY_UPSTREAM_ID_CONNECTOR, (upstream_id, connector_id)
                ).fetchone()
            return None if row is None else (row[0], row[1])

        return await self._read(run)

    async def unfinished_messages(self, limit: int, after_id: str | None = None) -> list[Message]:
        check_limit(limit, MAX_UNFINISHED_PAGE)

        def run(conn: sqlite3.Connection) -> list[Message]:
            rows = conn.execute(sql.UNFINISHED_MESSAGES, (after_id or "", limit)).fetchall()
            return _with_parts(conn, rows)

        return await self._read(run)

    # accounts

    async def create_account(self, account: Account) -> None:
        values = account_values(account)
        await self._job([(False, sql.INSERT_ACCOUNT, values)])

    async def update_account(self, account: Account) -> bool:
        values = account_values(account)
        params = (*values[1:], values[0])
        _, count = await self._job([(False, sql.UPDATE_ACCOUNT, params)])
        return count > 0

    async def _account(self, query: str, key: str) -> Account | None:
        def run(conn: sqlite3.Connection) -> Account | None:
            row = conn.execute(query, (key,)).fetchone()
            return None if row is None else account_from(row)

        return await self._read(run)

    async def get_account(self, account_id: str) -> Account | None:
        return await self._account(sql.GET_ACCOUNT, account_id)

    async def account_by_api_key_hash(self, api_key_hash: str) -> Account | None:
        return await self._account(sql.ACCOUNT_BY_KEY, api_key_hash)

    async def account_by_system_id(self, system_id: str) -> Account | None:
        return await self._account(sql.ACCOUNT_BY_SYSTEM_ID, system_id)

    async def list_accounts(self) -> list[Account]:
        return await self._read(
            lambda conn: [account_from(row) for row in conn.execute(sql.LIST_ACCOUNTS)]
        )

    # routing configuration

    async def upsert_connector(self, connector: ConnectorRow) -> None:
        values = connector_values(connector)
        await self._job([(False, sql.UPSERT_CONNECTOR, values)])

    async def delete_connector(self, connector_id: str) -> bool:
        _, count = await self._job([(False, sql.DELETE_CONNECTOR, (connector_id,))])
        return count > 0

    async def list_connectors(self) -> list[ConnectorRow]:
        return await self._read(
            lambda conn: [connector_from(row) for row in conn.execute(sql.LIST_CONNECTORS)]
        )

    async def replace_routes(self, routes: Sequence[RouteRow]) -> None:
        values = [route_values(r) for r in routes]
        await self._job([(False, sql.DELETE_ROUTES, ()), (True, sql.INSERT_ROUTE, values)])

    async def replace_prices(self, rules: Sequence[PriceRule]) -> None:
        values = [price_values(i, rule) for i, rule in enumerate(rules)]
        await self._job([(False, sql.DELETE_PRICES, ()), (True, sql.INSERT_PRICE, values)])

    async def list_routes(self) -> list[RouteRow]:
        return await self._read(
            lambda conn: [route_from(row) for row in conn.execute(sql.LIST_ROUTES)]
        )

    async def replace_carrier_prefixes(self, rows: Iterable[tuple[str, str]], source: str) -> int:
        values = [(prefix, carrier, source) for prefix, carrier in rows]
        await self._job(
            [(False, sql.DELETE_PREFIXES, (source,)), (True, sql.UPSERT_PREFIX, values)]
        )
        return len(values)

    async def list_carrier_prefixes(self) -> list[PrefixRow]:
        return await self._read(
            lambda conn: [prefix_from(row) for row in conn.execute(sql.LIST_PREFIXES)]
        )

    async def import_portability(self, rows: Iterable[PortabilityRow]) -> int:
        total = 0
        source = iter(rows)
        while chunk := [portability_values(r) for r in islice(source, sql.PORTABILITY_CHUNK)]:
            await self._job([(True, sql.UPSERT_PORTABILITY, chunk)])
            total += len(chunk)
        return total

    async def portability_carrier(self, number: str) -> str | None:
        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(sql.PORTABILITY_CARRIER, (number,)).fetchone()
            return None if row is None else str(row[0])

        return await self._read(run)

    async def list_portability(self) -> list[tuple[str, str]]:
        def run(conn: sqlite3.Connection) -> list[tuple[str, str]]:
            return [(str(n), str(c)) for n, c in conn.execute(sql.PORTABILITY_ALL)]

        return await self._read(run)

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
        params: tuple[Any, ...]
        if account_id is None:
            query, params = CLAIM_OUTBOX, (now + lease, now, channel, now, limit)
        else:
            query = CLAIM_ACCOUNT_OUTBOX
            params = (now + lease, now, channel, account_id, now, limit)

        rows, _ = await self._job([(False, query, params)])
        claimed = [outbox_from(row) for row in rows]
        claimed.sort(key=lambda item: item.id)
        return claimed

    async def _select_outbox(self, query: str, params: list[Any]) -> list[OutboxItem]:
        return await self._read(
            lambda conn: [outbox_from(row) for row in conn.execute(query, params)]
        )

    # inbound

    async def _select_rows(self, query: str, params: list[Any]) -> list[Any]:
        return await self._read(lambda conn: conn.execute(query, params).fetchall())

    async def _change_rows(self, query: str, params: list[Any]) -> int:
        _, count = await self._job([(False, query, params)])
        return count
