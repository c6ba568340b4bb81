"""The ChangeWriter against a real store: batching, and one caller's bad change failing only
that caller."""

import asyncio
from pathlib import Path

from smsgate.engine.writer import ChangeWriter
from smsgate.store import DuplicateError, open_store
from tests.store.factories import new_message


def test_many_callers_share_few_writes_and_a_bad_one_fails_alone(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(str(tmp_path / "w.db"))
        try:
            writer = ChangeWriter(store)
            await writer.add([new_message("acct", client_ref="taken")])
            futures = [writer.add([new_message("acct")]) for _ in range(200)]
            futures.insert(
                100, writer.add([new_message("acct", client_ref="taken")])
            )  # breaks the unique index
            outcomes = await asyncio.gather(*futures, return_exceptions=True)
            errors = [o for o in outcomes if o is not None]
            assert len(errors) == 1 and isinstance(errors[0], DuplicateError)
            assert writer.batches < 20  # shared transactions, not one per caller
            assert await store.count_messages("acct") == 201
        finally:
            await store.close()

    asyncio.run(scenario())


def test_batches_respect_the_size_limit(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(str(tmp_path / "w.db"))
        try:
            writer = ChangeWriter(store, max_batch=10)
            await asyncio.gather(*(writer.add([new_message("acct")]) for _ in range(95)))
            assert writer.batches >= 10 and writer.backlog == 0
        finally:
            await store.close()

    asyncio.run(scenario())


def test_drain_waits_for_what_is_queued(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(str(tmp_path / "w.db"))
        try:
            writer = ChangeWriter(store)
            await asyncio.wait_for(writer.drain(), 5)  # returns at once with nothing queued
            future = writer.add([new_message("acct")])
            await asyncio.wait_for(writer.drain(), 5)
            # once drained, the write is committed and readable
            assert future.done() and future.exception() is None
            assert (writer.backlog, writer.batches) == (0, 1)
            assert await store.count_messages("acct") == 1
        finally:
            await store.close()

    asyncio.run(scenario())
