"""PostgreSQL's writer sends a common batch as one statement of data-modifying CTEs
(`store/postgres/apply.py`): what goes that way, that it is all or nothing, and that a batch
which updates a row it inserts itself (the CTEs share one snapshot) still lands whole."""

import asyncio
import time
from dataclasses import fields
from pathlib import Path

import pytest

from smsgate.domain.inbound import OptOut
from smsgate.domain.status import Status
from smsgate.store import IntegrityError, MessageUpdate, PartUpdate, Store
from smsgate.store.batch import WritePlan, plan_writes
from smsgate.store.postgres.apply import _COMBINED_KINDS, _combined
from smsgate.store.postgres.store import PostgresStore
from tests.store.backends import store_backend
from tests.store.factories import new_message


def _sent(message_id: str, at: float) -> list[PartUpdate | MessageUpdate]:
    return [
        PartUpdate(message_id, 1, Status.SENT, at, upstream_id="up-1", submitted_at=at),
        MessageUpdate(message_id, Status.SENT, at),
    ]


def test_the_common_batches_go_as_one_statement() -> None:
    accepted, earlier = new_message(), new_message()
    now = time.time()
    assert _combined(plan_writes([[accepted], _sent(earlier.id, now)])) is not None
    # an update of a row the same batch inserts would not see it: statement by statement
    assert _combined(plan_writes([[accepted], _sent(accepted.id, now)])) is None
    # so does a batch with any kind of change the one statement does not write
    assert _combined(plan_writes([[accepted], [OptOut("a", "819011112222", now)]])) is None
    assert {kind.name for kind in fields(WritePlan)} > _COMBINED_KINDS


def test_a_combined_batch_is_all_or_nothing(tmp_path: Path) -> None:
    with store_backend("postgres", tmp_path) as backend:

        async def body(store: Store) -> None:
            now = time.time()
            kept, fresh = new_message(), new_message()
            await store.write([kept])
            orphan = PartUpdate("f" * 32, 1, Status.SENT, now)
            with pytest.raises(IntegrityError, match="part updates found no part"):
                await store.write([fresh, *_sent(kept.id, now), orphan])
            assert await store.get_message(fresh.id) is None
            unchanged = await store.get_message(kept.id)
            assert unchanged is not None and unchanged.status is kept.status

        backend.run(body)


def test_updates_of_rows_inserted_in_the_same_batch_land(tmp_path: Path) -> None:
    with store_backend("postgres", tmp_path) as backend:

        async def body(store: Store) -> None:
            now = time.time()
            alone, queued = new_message(), new_message()
            await store.write([alone, *_sent(alone.id, now)])
            # two callers' writes queued in one turn of the loop share a batch
            await asyncio.gather(store.write([queued]), store.write(_sent(queued.id, now)))
            for message in (alone, queued):
                found = await store.get_message(message.id)
                assert found is not None and found.status is Status.SENT
                assert found.parts[0].status is Status.SENT
                assert found.parts[0].upstream_id == "up-1"

        backend.run(body)


def test_the_writers_generic_plans_find_rows_by_key_on_empty_tables(tmp_path: Path) -> None:
    """The writer keeps generic plans; one made while `parts` and `messages` were empty must
    still use their keys once they have grown, not the sequential scan an empty table invites."""
    with store_backend("postgres", tmp_path) as backend:

        async def body(store: Store) -> None:
            assert isinstance(store, PostgresStore) and store._writes is not None
            combined = _combined(plan_writes([_sent(new_message().id, time.time())]))
            assert combined is not None
            nulls = ", ".join(["NULL"] * len(combined.args))
            async with store._writes.acquire() as conn:
                await conn.execute("SET plan_cache_mode = force_generic_plan")
                plans = {}
                for seqscan in ("on", "off"):  # a plan is made with the settings of its time
                    await conn.execute(f"SET enable_seqscan = {seqscan}")
                    await conn.execute(f"PREPARE probe AS {combined.sql()}")
                    rows = await conn.fetch(f"EXPLAIN EXECUTE probe({nulls})")
                    plans[seqscan] = "\n".join(row[0] for row in rows)
                    await conn.execute("DEALLOCATE probe")
                await conn.execute("RESET plan_cache_mode; RESET enable_seqscan")
                assert await conn.fetchval("SHOW enable_seqscan") == "off"
            assert "Seq Scan on parts" in plans["on"]  # why the writer's connection forbids it
            # and no whole index read in its place: each row looked up by its key
            assert "Seq Scan" not in plans["off"], plans["off"]
            assert "Hash Join" not in plans["off"] and "Merge Join" not in plans["off"]
            assert plans["off"].count("Index Cond") >= 2  # the part and the message

        backend.run(body)


def test_values_come_back_exactly_through_the_one_statement(tmp_path: Path) -> None:
    """Bytes, floats to the last digit, NULLs, quotes and characters beyond the BMP come back
    as they were written by the combined statement."""
    with store_backend("postgres", tmp_path) as backend:

        async def body(store: Store) -> None:
            message = new_message()
            message.text = "𝄞 ≠ é 'single' \"double\" \\ back\nline"
            message.udh = bytes([0x05, 0x00, 0x03, 0x00, 0xFF, 0x01])
            message.content = {"RCSMessage": {"text": "ok", "weights": [1.5, None, True]}}
            message.created_at = 1733500000.1234567
            message.client_ref = None
            done = 1733500001.0000002
            await store.write([message])
            update = PartUpdate(
                message.id, 1, Status.FAILED, done, error_detail="«refusé» \t", done_at=done
            )
            await store.write([update, MessageUpdate(message.id, Status.FAILED, done)])
            found = await store.get_message(message.id)
            assert found is not None
            assert (found.text, found.udh, found.content) == (
                message.text,
                message.udh,
                message.content,
            )
            assert found.created_at == message.created_at and found.client_ref is None
            assert found.parts[0].short_message == message.parts[0].short_message
            assert (found.parts[0].done_at, found.parts[0].error_detail) == (done, "«refusé» \t")

        backend.run(body)
