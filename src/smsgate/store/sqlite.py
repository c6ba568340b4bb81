"""The SQLite backend: one writer thread doing group commit, reads on their own connections.

WAL journal with synchronous=FULL: a commit is on disk (the WAL fsynced) before any caller is
told so. SQLite allows one writer at a time, so every write, including configuration changes
and migrations, goes through the writer thread's queue; reads run in a small thread pool on
read-only connections and, under WAL, never wait behind the writer.
"""

import asyncio
import json
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Final, TypeVar

from smsgate.domain.account import Account
from smsgate.domain.message import Message, Part, StatusChange
from smsgate.domain.pricing import PriceRule
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
from smsgate.store.changes import OutboxItem
from smsgate.store.errors import (
    BalanceError,
    DuplicateError,
    IntegrityError,
    StoreClosedError,
    StoreError,
)
from smsgate.store.migrations import SCHEMA_MIGRATIONS_DDL, pending, render
from smsgate.store.records import ConnectorRow, PortabilityRow, PrefixRow, RouteRow
from smsgate.store.rows import (
    HISTORY_COLUMNS,
    INBOUND_COLUMNS,
    INBOUND_SEGMENT_COLUMNS,
    MESSAGE_COLUMNS,
    OUTBOX_COLUMNS,
    PART_COLUMNS,
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
    names,
    opt_out_rows,
    outbox_from,
    outbox_update_row,
    outbox_values,
    part_from,
    part_update_row,
    part_values,
    portability_values,
    prefix_from,
    price_values,
    replaced_values,
    route_from,
    route_values,
    segment_values,
)
from smsgate.store.sqlite_rows import MINIMUM_VERSION, insert_rows, update_rows

T = TypeVar("T")

DEFAULT_READERS: Final = 2
CLAIM_OUTBOX: Final = sql.claim_outbox(account=False, lock="")
CLAIM_ACCOUNT_OUTBOX: Final = sql.claim_outbox(account=True, lock="")
PARTS_OF: Final = (
    f"{sql.PART_SELECT} WHERE message_id IN (SELECT value FROM json_each(?))"
    " ORDER BY message_id, seq"
)


@dataclass(slots=True)
class _Job:
    """A function run on the writer's connection, alone in the queue's order."""

    fn: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    transaction: bool = True  # False: fn manages its own transactions (migrations)


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
def _transaction(conn: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    conn.execute(begin)
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # also when COMMIT itself failed
            conn.execute("ROLLBACK")
        raise


def _insert_head(table: str, columns: Sequence[tuple[str, str]]) -> str:
    return f"INSERT INTO {table} ({names(columns)}) VALUES"


def _update_from(update: sql.SetUpdate) -> str:
    return (
        f"WITH u({names(update.columns)}) AS (VALUES {{values}})"
        f" UPDATE {update.table} AS {update.alias} SET {update.assignments}"
        f" FROM u WHERE {update.where()}"
    )


INSERT_MESSAGES: Final = _insert_head("messages", MESSAGE_COLUMNS)
INSERT_PARTS: Final = _insert_head("parts", PART_COLUMNS)
INSERT_INBOUND: Final = _insert_head("inbound", INBOUND_COLUMNS)
INSERT_HISTORY: Final = _insert_head("status_history", HISTORY_COLUMNS)
INSERT_OUTBOX: Final = _insert_head("outbox", OUTBOX_COLUMNS)
INSERT_SEGMENTS: Final = _insert_head("inbound_segments", INBOUND_SEGMENT_COLUMNS)
UPDATE_PARTS: Final = _update_from(sql.PART_UPDATE)
UPDATE_MESSAGES: Final = _update_from(sql.MESSAGE_UPDATE)
UPDATE_OUTBOX: Final = _update_from(sql.OUTBOX_UPDATE)
CLAIM_INBOUND: Final = _update_from(sql.INBOUND_CLAIM)
UPDATE_BALANCES: Final = _update_from(sql.BALANCE_UPDATE)


def _apply(conn: sqlite3.Connection, plan: WritePlan) -> None:
    if plan.messages:
        insert_rows(conn, INSERT_MESSAGES, [message_values(m) for m in plan.messages])
        insert_rows(conn, INSERT_PARTS, [part_values(p) for m in plan.messages for p in m.parts])
    if plan.replaced:
        found = sum(
            conn.execute(sql.REPLACE_MESSAGE, replaced_values(r)).rowcount for r in plan.replaced
        )
        check_found("message", len(plan.replaced), found)
        conn.executemany(sql.DELETE_PARTS, [(r.message.id,) for r in plan.replaced])
        parts = [part_values(p) for r in plan.replaced for p in r.message.parts]
        insert_rows(conn, INSERT_PARTS, parts)
    if plan.inbound:
        insert_rows(conn, INSERT_INBOUND, [inbound_values(m) for m in plan.inbound])
    if plan.part_updates:
        rows = [part_update_row(u) for u in plan.part_updates]
        check_found("part", len(rows), update_rows(conn, UPDATE_PARTS, rows))
    if plan.message_updates:
        rows = [message_update_row(u) for u in plan.message_updates]
        check_found("message", len(rows), update_rows(conn, UPDATE_MESSAGES, rows))
    insert_rows(conn, INSERT_HISTORY, plan.history)
    if plan.outbox:
        insert_rows(conn, INSERT_OUTBOX, [outbox_values(item) for item in plan.outbox])
    if plan.outbox_updates:
        rows = [outbox_update_row(u) for u in plan.outbox_updates]
        check_found("outbox", len(rows), update_rows(conn, UPDATE_OUTBOX, rows))
    if plan.segments:
        insert_rows(conn, INSERT_SEGMENTS, [segment_values(s) for s in plan.segments])
    if plan.segments_taken:
        conn.executemany(sql.DELETE_SEGMENTS, [astuple(t) for t in plan.segments_taken])
    if plan.inbound_claims:
        rows = [astuple(c) for c in plan.inbound_claims]
        check_found("inbound", len(rows), update_rows(conn, CLAIM_INBOUND, rows))
    if plan.opt_outs:
        conn.executemany(sql.UPSERT_OPT_OUT, opt_out_rows(plan.opt_outs, active=True))
        conn.executemany(sql.DELETE_OPT_OUT, opt_out_rows(plan.opt_outs, active=False))
    if plan.balances:
        update_rows(conn, UPDATE_BALANCES, balance_rows(plan.balances))
    if plan.idempotent:
        conn.executemany(sql.DELETE_EXPIRED_KEY, expired_key_rows(plan.idempotent))
        conn.executemany(sql.INSERT_IDEMPOTENT, [idempotent_values(r) for r in plan.idempotent])


def _with_parts(conn: sqlite3.Connection, rows: list[Any]) -> list[Message]:
    if not rows:
        return []
    parts: dict[str, list[Part]] = {row[0]: [] for row in rows}
    for part_row in conn.execute(PARTS_OF, (json.dumps(list(parts)),)):
        parts[part_row[0]].append(part_from(part_row))
    return [message_from(row, parts[row[0]]) for row in rows]


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
        self._queue: deque[PendingWrite | _Job] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._writer_done: asyncio.Future[None] | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()

    # lifecycle

    async def open(self) -> None:
        if self._loop is not None:
            raise RuntimeError("a SqliteStore opens once")
        if sqlite3.sqlite_version_info < MINIMUM_VERSION:
            wanted = ".".join(map(str, MINIMUM_VERSION))
            raise StoreError(f"SQLite {wanted} or newer is needed; found {sqlite3.sqlite_version}")
        loop = self._loop = asyncio.get_running_loop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        started: asyncio.Future[None] = loop.create_future()
        self._writer_done = loop.create_future()
        self._thread = threading.Thread(
            target=self._writer_main, args=(started,), name="smsgate-store-writer", daemon=True
        )
        self._thread.start()
        await started
        self._readers = ThreadPoolExecutor(
            self._reader_count, thread_name_prefix="smsgate-store-reader"
        )
        self._accepting = True
        if self._auto_migrate:
            try:
                await self.migrate()
            except BaseException:
                await self.close()
                raise

    async def close(self) -> None:
        if self._writer_done is None or self._stopping:
            return
        self._accepting = False
        with self._cond:
            self._stopping = True
            self._cond.notify()
        await self._writer_done
        if self._readers is not None:
            await asyncio.to_thread(self._readers.shutdown, True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()

    # the writer thread

    def _connect(self, *, read_only: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=self._busy_timeout
        )
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        else:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        return conn

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        """Run `callback` on the event loop; dropped if that loop is already closed."""
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            pass

    def _writer_main(self, started: asyncio.Future[None]) -> None:
        try:
            conn = self._connect(read_only=False)
        except BaseException as error:
            self._post(_resolve, started, error)
            self._post(_resolve, self._writer_done, None)
            return
        self._post(_resolve, started, None)
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._stopping:
                        self._cond.wait()
                    if not self._queue:
                        break
                    head = self._queue[0]
                    if isinstance(head, _Job):
                        self._queue.popleft()
                        job: _Job | None = head
                        batch: list[PendingWrite] = []
                    else:
                        job = None
                        batch = take_batch(self._queue, self._max_batch)
                if job is not None:
                    self._run_job(conn, job)
                else:
                    self._post(self._settle, batch, self._commit(conn, batch))
        finally:
            conn.close()
            self._fail_queued()
            self._post(_resolve, self._writer_done, None)

    def _fail_queued(self) -> None:
        """The writer is gone: nobody may wait for it. (Empty after a normal close.)"""
        self._accepting = False
        with self._cond:
            left = list(self._queue)
            self._queue.clear()
        writes = [item for item in left if isinstance(item, PendingWrite)]
        error = StoreClosedError("the store's writer stopped")
        if writes:
            self._post(self._settle, writes, [error] * len(writes))
        for item in left:
            if isinstance(item, _Job):
                self._post(_resolve, item.future, error)

    def _commit(
        self, conn: sqlite3.Connection, batch: list[PendingWrite]
    ) -> list[BaseException | None]:
        try:
            with _transaction(conn):
                _apply(conn, plan_writes(item.changes for item in batch))
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
                with _transaction(conn):
                    _apply(conn, plan_writes([item.changes]))
            except Exception as error:
                outcomes.append(translate(error))
            else:
                self._count([item], 1)
                outcomes.append(None)
        return outcomes

    def _run_job(self, conn: sqlite3.Connection, job: _Job) -> None:
        try:
            if job.transaction:
                with _transaction(conn):
                    result = job.fn(conn)
            else:
                result = job.fn(conn)
        except Exception as error:
            self._post(_resolve, job.future, translate(error))
        else:
            self._post(_resolve, job.future, None, result)

    def _enqueue(self, items: Sequence[PendingWrite | _Job]) -> None:
        with self._cond:
            self._queue.extend(items)
            self._cond.notify()

    async def _job(self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = True) -> T:
        if not self._accepting:
            raise StoreClosedError("the store is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._enqueue([_Job(fn, future, transaction)])
        return await future

    # reads

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect(read_only=True)
            with self._reader_lock:
                self._reader_conns.append(conn)
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if not self._accepting or self._readers is None:
            raise StoreClosedError("the store is not open")

        def run() -> T:
            conn = self._reader()
            # one read transaction: a message and its parts come from the same snapshot
            with _transaction(conn, "BEGIN"):
                return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self._readers, run)

    # schema

    async def migrate(self, target: int | None = None) -> int:
        def run(conn: sqlite3.Connection) -> int:
            conn.execute(render(SCHEMA_MIGRATIONS_DDL, "sqlite"))
            with _transaction(conn):  # IMMEDIATE: a second process waits for the first
                applied = [row[0] for row in conn.execute(sql.SCHEMA_VERSIONS)]
            for migration in pending(applied, target):
                with _transaction(conn):
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
            row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
            return int(row[0] or 0)

        return await self._job(run, transaction=False)

    async def schema_version(self) -> int:
        def run(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
            return int(row[0] or 0)

        return await self._read(run)

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
            return [history_from(row) for row in conn.execute(sql.HISTORY, (message_id,))]

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
        await self._job(lambda conn: conn.execute(sql.INSERT_ACCOUNT, values))

    async def update_account(self, account: Account) -> bool:
        values = account_values(account)
        params = (*values[1:], values[0])
        return await self._job(lambda conn: conn.execute(sql.UPDATE_ACCOUNT, params).rowcount > 0)

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
        await self._job(lambda conn: conn.execute(sql.UPSERT_CONNECTOR, values))

    async def delete_connector(self, connector_id: str) -> bool:
        return await self._job(
            lambda conn: conn.execute(sql.DELETE_CONNECTOR, (connector_id,)).rowcount > 0
        )

    async def list_connectors(self) -> list[ConnectorRow]:
        return await self._read(
            lambda conn: [connector_from(row) for row in conn.execute(sql.LIST_CONNECTORS)]
        )

    async def replace_routes(self, routes: Sequence[RouteRow]) -> None:
        values = [route_values(r) for r in routes]

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(sql.DELETE_ROUTES)
            conn.executemany(sql.INSERT_ROUTE, values)

        await self._job(run)

    async def replace_prices(self, rules: Sequence[PriceRule]) -> None:
        values = [price_values(i, rule) for i, rule in enumerate(rules)]

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(sql.DELETE_PRICES)
            conn.executemany(sql.INSERT_PRICE, values)

        await self._job(run)

    async def list_routes(self) -> list[RouteRow]:
        return await self._read(
            lambda conn: [route_from(row) for row in conn.execute(sql.LIST_ROUTES)]
        )

    async def replace_carrier_prefixes(self, rows: Iterable[tuple[str, str]], source: str) -> int:
        values = [(prefix, carrier, source) for prefix, carrier in rows]

        def run(conn: sqlite3.Connection) -> int:
            conn.execute(sql.DELETE_PREFIXES, (source,))
            conn.executemany(sql.UPSERT_PREFIX, values)
            return len(values)

        return await self._job(run)

    async def list_carrier_prefixes(self) -> list[PrefixRow]:
        return await self._read(
            lambda conn: [prefix_from(row) for row in conn.execute(sql.LIST_PREFIXES)]
        )

    async def import_portability(self, rows: Iterable[PortabilityRow]) -> int:
        total = 0
        source = iter(rows)
        while chunk := [portability_values(r) for r in islice(source, sql.PORTABILITY_CHUNK)]:
            await self._job(_upsert_portability(chunk))
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

        def run(conn: sqlite3.Connection) -> list[OutboxItem]:
            return [outbox_from(row) for row in conn.execute(query, params).fetchall()]

        claimed = await self._job(run)
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
        return await self._job(lambda conn: conn.execute(query, params).rowcount)


def _upsert_portability(chunk: list[tuple[Any, ...]]) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        conn.executemany(sql.UPSERT_PORTABILITY, chunk)

    return run


def _resolve(
    future: asyncio.Future[Any] | None, error: BaseException | None, result: Any = None
) -> None:
    if future is None or future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
