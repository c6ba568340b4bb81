"""The SQLite store's writer: a process of its own that commits what the store sends it.

`python -m smsgate.store.sqlite.writer FD PATH BUSY_TIMEOUT MAX_BATCH MAX_BYTES DURABILITY`
(MAX_BYTES 0: no size limit; DURABILITY "disk" or "process"), started by `SqliteStore.open`
with one end of a socket pair as FD. It reads frames (`wire`) in order: writes, which it
commits many callers per transaction (everything that arrived while the previous transaction
ran, up to MAX_BATCH changes), and jobs (a few statements in a transaction of their own). Each
gets its answer, in the order they came.

A process rather than a thread: sqlite3 gives up the GIL around every step and must win it back
from the busy event loop, so a writer thread and the loop took turns on one core (measured in
`smsgate bench e2e`: the process together never went past about 1.1 cores). It ignores SIGINT
and SIGTERM, which a terminal or a service manager sends to the whole group: it ends when its
socket does, after committing what it has, so a gateway that drains on SIGTERM loses nothing.
"""

import signal
import socket
import sqlite3
import sys
from collections import deque
from typing import Any, Final

from smsgate.store.sqlite.apply import commit
from smsgate.store.sqlite.connection import connect, transaction, translate
from smsgate.store.sqlite.wire import JOB, READY, WRITES, decode_group, error_out, frame, unframe

_READ: Final = 1 << 20


def _run_job(conn: sqlite3.Connection, in_transaction: bool, steps: list[Any]) -> tuple[Any, ...]:
    def run() -> tuple[list[Any], int]:
        rows: list[Any] = []
        count = 0
        for many, query, params in steps:
            if many:
                cursor = conn.executemany(query, params)
                rows = []
            else:
                cursor = conn.execute(query, params)
                rows = cursor.fetchall()
            count = cursor.rowcount
        return rows, count

    try:
        if in_transaction:
            with transaction(conn):
                rows, count = run()
        else:
            rows, count = run()
    except Exception as error:
        return (JOB, error_out(translate(error)), None, 0)
    return (JOB, None, rows, count)


class Writer:
    def __init__(self, sock: socket.socket, conn: sqlite3.Connection, max_batch: int) -> None:
        self.sock = sock
        self.conn = conn
        self.max_batch = max_batch
        self.buffer = bytearray()
        self.pending: deque[Any] = deque()  # decoded frames' entries: groups and jobs
        self.ended = False

    def _receive(self, block: bool) -> None:
        while not self.ended:
            try:
                data = self.sock.recv(_READ, 0 if block else socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if not data:
                self.ended = True
                break
            self.buffer += data
            block = False
        for kind, *body in unframe(self.buffer):
            if kind == WRITES:
                self.pending.extend((WRITES, group) for group in body[0])
            else:
                self.pending.append((JOB, *body))

    def _next(self) -> tuple[Any, ...]:
        """Commit the writes at the head of the queue, or run the job there; its answer."""
        head = self.pending.popleft()
        if head[0] == JOB:
            return _run_job(self.conn, head[1], head[2])
        groups = [head[1]]
        size = len(head[1])
        while self.pending and self.pending[0][0] == WRITES:
            following = len(self.pending[0][1])
            if size + following > self.max_batch:
                break
            groups.append(self.pending.popleft()[1])
            size += following
        outcomes, fallback = commit(self.conn, [decode_group(group) for group in groups])
        return (WRITES, fallback, [None if e is None else error_out(e) for e in outcomes])

    def run(self) -> None:
        while True:
            self._receive(block=not self.pending)
            if not self.pending:
                if self.ended:
                    return
                continue
            answer = self._next()
            try:
                self.sock.sendall(frame(answer))
            except OSError:  # the store is gone: still commit what it sent, unanswered
                self.ended = True


def main(argv: list[str]) -> int:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    fd, path, busy_timeout, max_batch, max_bytes, durability = argv
    sock = socket.socket(fileno=int(fd))
    try:
        conn = connect(
            path,
            read_only=False,
            busy_timeout=float(busy_timeout),
            max_bytes=int(max_bytes) or None,
            durability=durability,
        )
        # A statement of many rows keeps what it changed in a statement journal (to undo that
        # statement alone). Past 64 KiB SQLite spills it to a temporary file, created, written
        # and deleted within the transaction; in memory it costs none of those system calls.
        # The writer's statements are bounded (256 rows, purges by the page), unlike the
        # sorts of a migration's CREATE INDEX, which keep their temporary files.
        conn.execute("PRAGMA temp_store = MEMORY")
    except Exception as error:
        sock.sendall(frame((READY, error_out(error))))
        return 1
    sock.sendall(frame((READY, None)))
    try:
        Writer(sock, conn, int(max_batch)).run()
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
