"""The SQLite backend: a writer process doing group commit, reads on their own connections.

WAL journal with synchronous=FULL: a commit is on disk (the WAL fsynced) before any caller is
told so (with durability "process", synchronous=NORMAL: in the operating system's hands, see
docs/durability.md). SQLite allows one writer at a time, so every write, including
configuration changes, goes through the writer's queue (`smsgate.store.sqlite.writer`, a
process of its own: see there why) over a socket pair; reads run in a small thread pool on
read-only connections and, under WAL, never wait behind the writer. Migrations run on a
connection of their own before the writer starts (several processes may migrate the same file
at once: each waits for the other).
"""

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar, Final, TypeVar

from smsgate.domain.message import Message, Part
from smsgate.domain.routing_tables import PortabilityRow
from smsgate.store import sql
from smsgate.store.base import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_PENDING,
    DEFAULT_QUEUE_WAIT,
    Store,
)
from smsgate.store.batch import PendingWrite
from smsgate.store.columns import Row
from smsgate.store.errors import StoreClosedError, StoreCorruptError, StoreError
from smsgate.store.migrations import SCHEMA_MIGRATIONS_DDL, pending, render
from smsgate.store.rows import message_from, part_from, portability_values
from smsgate.store.sqlite.connection import connect, transaction
from smsgate.store.sqlite.link import JobResult, Step, WriterLink
from smsgate.store.sqlite.rows import MINIMUM_VERSION

T = TypeVar("T")

DEFAULT_READERS: Final = 2
PARTS_OF: Final = (
    f"{sql.PART_SELECT} WHERE message_id IN (SELECT value FROM json_each(?))"
    " ORDER BY message_id, seq"
)


def _with_parts(conn: sqlite3.Connection, rows: list[Any]) -> list[Message]:
    if not rows:
        return []
    if len(rows) == 1:  # one message (get_message): its parts by the plain index lookup
        parts = [part_from(p) for p in conn.execute(sql.MESSAGE_PARTS, (rows[0][0],))]
        return [message_from(rows[0], parts)]
    by_message: dict[str, list[Part]] = {row[0]: [] for row in rows}
    for part_row in conn.execute(PARTS_OF, (json.dumps(list(by_message)),)):
        by_message[part_row[0]].append(part_from(part_row))
    return [message_from(row, by_message[row[0]]) for row in rows]


def _schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute(sql.SCHEMA_VERSION).fetchone()[0] or 0)


class SqliteStore(Store):
    _unfinished_index: ClassVar[str] = " INDEXED BY messages_unfinished"
    _sent_index: ClassVar[str] = " INDEXED BY messages_sent"

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
        max_bytes: int | None = None,
        durability: str = "disk",
    ) -> None:
        super().__init__(max_pending=max_pending, queue_wait=queue_wait, max_batch=max_batch)
        self.path = Path(path)
        self._auto_migrate = auto_migrate
        self._reader_count = readers
        self._busy_timeout = busy_timeout
        self._max_bytes = max_bytes
        self._durability = durability
        self._writer: WriterLink | None = None
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
                    "smsgate.store.sqlite.writer",
                    str(theirs.fileno()),
                    str(self.path),
                    str(self._busy_timeout),
                    str(self._max_batch),
                    str(self._max_bytes or 0),
                    self._durability,
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
            _, self._writer = await loop.create_unix_connection(lambda: WriterLink(self), sock=ours)
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

    async def _job(self, steps: Sequence[Step], *, transaction: bool = True) -> JobResult:
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
            try:
                conn = connect(
                    self.path,
                    read_only=False,
                    busy_timeout=self._busy_timeout,
                    max_bytes=self._max_bytes,
                    durability=self._durability,
                )
                try:
                    return migrate(conn)
                finally:
                    conn.close()
            except sqlite3.DatabaseError as error:
                # OperationalError is a busy, locked or full file, not a damaged one
                if isinstance(error, sqlite3.OperationalError):
                    raise
                raise StoreCorruptError(
                    f"the SQLite database {self.path} is damaged ({error}); the gateway will"
                    " not start on it. Restore it from a backup, or salvage what is readable"
                    f" with `sqlite3 {self.path} .recover | sqlite3 NEW.db` and point `db` at"
                    " the new file"
                ) from None

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

    # the primitives of the shared queries (smsgate.store.reads)

    async def _select_rows(self, query: str, params: Sequence[Any]) -> list[Row]:
        return await self._read(lambda conn: conn.execute(query, params).fetchall())

    async def _select_messages(self, query: str, params: Sequence[Any]) -> list[Message]:
        return await self._read(
            lambda conn: _with_parts(conn, conn.execute(query, params).fetchall())
        )

    async def _change_rows(self, query: str, params: Sequence[Any]) -> int:
        _, count = await self._job([(False, query, params)])
        return count

    async def _change_returning(self, query: str, params: Sequence[Any]) -> list[Row]:
        rows, _ = await self._job([(False, query, params)])
        return rows

    async def _replace_rows(
        self,
        delete: str,
        delete_params: Sequence[Any],
        insert: str,
        rows: Sequence[Sequence[Any]],
    ) -> None:
        await self._job([(False, delete, delete_params), (True, insert, rows)])

    async def _upsert_portability(self, rows: Sequence[PortabilityRow]) -> None:
        values = [portability_values(row) for row in rows]
        await self._job([(True, sql.UPSERT_PORTABILITY, values)])
