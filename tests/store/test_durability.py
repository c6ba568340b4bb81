"""What was acknowledged survives: a clean close and reopen, and (SQLite) a SIGKILL."""

import asyncio
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from smsgate.domain.status import Status
from smsgate.store import PartUpdate, Store
from smsgate.store.sqlite import SqliteStore
from tests.store.backends import StoreBackend
from tests.store.factories import new_message

ROOT = Path(__file__).resolve().parents[2]


def test_reopen_reads_back_what_was_written(store: StoreBackend) -> None:
    messages = [new_message(parts=2) for _ in range(50)]

    async def write(s: Store) -> None:
        await asyncio.gather(*(s.write([m]) for m in messages))
        await s.write([PartUpdate(messages[0].id, 2, Status.QUEUED, 5.0, attempts=3)])

    async def read(s: Store) -> None:
        assert await s.schema_version() >= 2
        for message in messages[1:]:
            assert await s.get_message(message.id) == message
        first = await s.get_message(messages[0].id)
        assert first is not None
        assert (first.parts[1].status, first.parts[1].attempts) == (Status.QUEUED, 3)
        assert len(await s.history(messages[0].id)) == 2

    store.run(write)
    store.run(read)


def _read_acknowledged(proc: subprocess.Popen[bytes], wanted: int, deadline: float) -> bytes:
    """Output of the writer until it has printed `wanted` lines (or the deadline passed)."""
    assert proc.stdout is not None
    output = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while (lines := output.count(b"\n")) < wanted:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the writer acknowledged only {lines} messages"
            if not selector.select(remaining):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            assert chunk, f"the writer exited early: {proc.wait()}"
            output += chunk
    return output


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_writer", str(path), "20000"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        output = _read_acknowledged(proc, 1500, time.monotonic() + 30)
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, errors = proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL, errors.decode()
    output += rest
    # a line is an acknowledgement only if it is complete
    acknowledged = output.decode().split("\n")[:-1]
    assert len(acknowledged) >= 1500

    check = sqlite3.connect(path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        check.close()

    async def verify() -> None:
        async with SqliteStore(path) as s:
            stored = await s.count_messages("acct-1")
            assert stored >= len(acknowledged)
            for message_id in acknowledged:
                message = await s.get_message(message_id)
                assert message is not None, message_id
                assert len(message.parts) == 2

    asyncio.run(verify())
