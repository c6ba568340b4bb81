"""The ChangeWriter against a real store: batching, and one caller's bad change failing only
that caller."""

import asyncio
from pathlib import Path

from smsgate.domain.ids import new_id
from smsgate.domain.message import Message, Part
from smsgate.engine.writer import ChangeWriter
from smsgate.store import DuplicateError, open_store


def _message(client_ref: str | None = None) -> Message:
    message_id = new_id()
    message = Message(
        id=message_id,
        account_id="acct",
        source="smsgate",
        source_ton=5,
        source_npi=0,
        destination="819012345678",
        text="x",
        encoding="gsm7",
        data_coding=0,
        segments=1,
        created_at=1.0,
        updated_at=1.0,
        valid_until=100.0,
        client_ref=client_ref,
    )
    message.parts = [Part(message_id=message_id, seq=1, short_message=b"x")]
    return message


def test_many_callers_share_few_writes_and_a_bad_one_fails_alone(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(str(tmp_path / "w.db"))
        try:
            writer = ChangeWriter(store)
            await writer.add([_message("taken")])
            futures = [writer.add([_message()]) for _ in range(200)]
            futures.insert(100, writer.add([_message("taken")]))  # breaks the unique index
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
            await asyncio.gather(*(writer.add([_message()]) for _ in range(95)))
            assert writer.batches >= 10 and writer.backlog == 0
        finally:
            await store.close()

    asyncio.run(scenario())


def test_drain_with_nothing_pending(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(str(tmp_path / "w.db"))
        try:
            await ChangeWriter(store).drain()
        finally:
            await store.close()

    asyncio.run(scenario())
