"""The SQLite store's writer process: what crosses the socket, and what happens when the
process is signalled or dies."""

import asyncio
import os
import signal
import sqlite3
from pathlib import Path
from typing import get_args

import pytest

from smsgate.domain.inbound import InboundMessage, InboundSegment, OptOut
from smsgate.domain.outbox import AttemptOutcome, OutboxAttempt, OutboxItem, OutboxState
from smsgate.domain.status import Status
from smsgate.domain.submitted_part import SubmittedPart
from smsgate.domain.subscribers import Subscriber
from smsgate.store import errors
from smsgate.store.changes import (
    BalanceChange,
    Change,
    ChannelResult,
    HistoryNote,
    IdempotentResponse,
    IdenticalRequest,
    InboundClaim,
    MessageReplaced,
    MessageUpdate,
    OutboxUpdate,
    PartUpdate,
    SegmentsTaken,
    SubmittedPartsTaken,
)
from smsgate.store.sqlite import SqliteStore
from smsgate.store.sqlite.connection import connect
from smsgate.store.sqlite.wire import (
    LENGTH,
    decode_group,
    encode_groups,
    error_in,
    error_out,
    frame,
    unframe,
)
from tests.store.factories import new_message


def _every_kind() -> list[Change]:
    message = new_message(parts=2, client_ref="ref-1")
    message.tag = "spring"
    return [
        message,
        PartUpdate(message.id, 2, Status.SENT, 5.5, "abc", "sim", attempts=1, submitted_at=5.5),
        MessageUpdate(message.id, Status.FAILED, 6.0, "expired", "late", record=False),
        MessageReplaced(new_message(parts=3), 7.0, "rcs -> sms", recorded=Status.FELL_BACK),
        InboundMessage("in-1", "sim", "8190", "1234", None, 4, b"\x00\xff", 8.0, segments=2),
        OutboxItem(
            "ob-1", "http", "acct-1", message.id, "delivered", {"a": [1, 2.5, None]}, 9.0, 9.0
        ),
        OutboxUpdate("ob-1", OutboxState.ABANDONED, 10.0, 3, last_error="refused"),
        OutboxAttempt("ob-1", 3, 10.0, AttemptOutcome.DEAD, 0x58, "refused", 0.004),
        InboundSegment("8190", "1234", 7, 2, 1, "sim", 0, b"hi", 11.0),
        SegmentsTaken("8190", "1234", 7, 2),
        InboundClaim("in-1", "acct-2"),
        OptOut("acct-1", "819012345678", 12.0, active=False),
        BalanceChange("acct-1", -7000, 13.0),
        IdempotentResponse("acct-1", "key", "hash", 202, b"{}", 14.0, 0.0),
        SubmittedPart("acct-1", "+4477", "+8190", 9, 3, 1, "m-1", "SINGLE", b"\x00\x01", 15.0),
        SubmittedPartsTaken("acct-1", "+4477", "+8190", 9, 3),
        HistoryNote(message.id, Status.QUEUED, 16.0, "capability: capable"),
        Subscriber("acct-1", "819012345678", 17.0),
        ChannelResult(message.id, {"imsi": "440101234567890", "ported": False}),
        IdenticalRequest(-(2**63), 18.0, 78.0),
    ]


def test_every_change_crosses_the_socket_unchanged() -> None:
    changes = _every_kind()
    assert {type(c) for c in changes} == set(get_args(Change))  # a new kind is tested too
    framed = frame(encode_groups([changes]))
    assert framed[LENGTH.size : LENGTH.size + 1] == b"M"  # marshal: no pickle fallback
    (sent,) = unframe(bytearray(framed))
    decoded = decode_group(sent[0])
    assert decoded == changes
    assert decoded[0].priority is changes[0].priority  # enums come back as enums
    assert decoded[0].parts[1].status is Status.ACCEPTED


def test_a_payload_marshal_refuses_goes_as_pickle() -> None:
    item = OutboxItem("ob-2", "http", "a", "m", "sent", {"status": Status.SENT}, 1.0, 1.0)
    buffer = bytearray(frame(encode_groups([[item]])) + frame("next"))
    buffer += frame("partial")[:-1]  # an incomplete frame stays for the next read
    (sent, following) = unframe(buffer)
    assert decode_group(sent[0]) == [item]
    assert following == "next"
    assert len(buffer) == len(frame("partial")) - 1


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.DuplicateError("UNIQUE"), errors.DuplicateError),
        (errors.BalanceError("CHECK"), errors.BalanceError),
        (sqlite3.OperationalError("database is locked"), sqlite3.OperationalError),
        (KeyError("odd"), errors.StoreError),
    ],
)
def test_errors_come_back_as_their_class(error: Exception, expected: type) -> None:
    back = error_in(error_out(error))
    assert type(back) is expected
    assert str(error) in str(back)


def _open(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "writer.db")


def test_the_writer_ignores_signals_meant_for_the_gateway(tmp_path: Path) -> None:
    async def run() -> None:
        async with _open(tmp_path) as store:
            assert store.writer_pid is not None
            os.kill(store.writer_pid, signal.SIGTERM)
            os.kill(store.writer_pid, signal.SIGINT)
            message = new_message()
            await store.write([message])
            assert await store.get_message(message.id) == message

    asyncio.run(run())


def test_the_writer_keeps_statement_journals_in_memory(tmp_path: Path) -> None:
    async def run() -> None:
        async with _open(tmp_path) as store:
            # 2: MEMORY; the default spills a large statement's journal to a temporary file
            rows, _ = await store._job([(False, "PRAGMA temp_store", [])], transaction=False)
            assert [tuple(row) for row in rows] == [(2,)]
            # a migration's connection keeps the default (an index's sort may be large)
            conn = connect(store.path, read_only=False, busy_timeout=1.0)
            assert conn.execute("PRAGMA temp_store").fetchone() == (0,)

    asyncio.run(run())


def test_a_dead_writer_fails_writes_instead_of_hanging(tmp_path: Path) -> None:
    async def run() -> None:
        store = _open(tmp_path)
        await store.open()
        assert store.writer_pid is not None
        await store.write([new_message()])
        os.kill(store.writer_pid, signal.SIGKILL)
        with pytest.raises(errors.StoreClosedError):
            for _ in range(100):  # until the store has seen its socket close
                await asyncio.wait_for(store.write([new_message()]), 5)
                await asyncio.sleep(0.01)
        await asyncio.wait_for(store.close(), 5)

    asyncio.run(run())


def test_a_closed_store_leaves_no_writer_behind(tmp_path: Path) -> None:
    async def run() -> int:
        async with _open(tmp_path) as store:
            await store.write([new_message()])
            assert store.writer_pid is not None
            return store.writer_pid

    pid = asyncio.run(run())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
