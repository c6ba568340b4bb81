"""Messages, parts and their history, on both backends."""

import asyncio
from dataclasses import replace

import pytest

from smsgate.domain.message import StatusChange
from smsgate.domain.status import Status
from smsgate.store import (
    DuplicateError,
    IntegrityError,
    InvalidCursorError,
    MessageReplaced,
    MessageUpdate,
    PartUpdate,
    Store,
)
from tests.store.backends import StoreBackend
from tests.store.factories import new_message


def test_message_round_trips_with_its_parts(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        message = new_message(parts=3, client_ref="order-1")
        await s.write([message])
        assert await s.get_message(message.id) == message
        assert await s.get_message(message.id, account_id="acct-1") == message
        assert [p.seq for p in message.parts] == [1, 2, 3]
        assert await s.get_message("0" * 32) is None
        assert await s.history(message.id) == [
            StatusChange(message.id, Status.ACCEPTED, message.created_at)
        ]

    store.run(body)


def test_another_accounts_message_is_invisible(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        mine = new_message("acct-1", client_ref="ref")
        theirs = new_message("acct-2", client_ref="ref")  # same client_ref, other account: fine
        await s.write([mine, theirs])
        assert await s.get_message(theirs.id, account_id="acct-1") is None
        assert await s.message_by_client_ref("acct-1", "ref") == mine
        assert await s.message_by_client_ref("acct-2", "ref") == theirs
        assert await s.message_by_client_ref("acct-3", "ref") is None
        page, _ = await s.list_messages("acct-1")
        assert [m.id for m in page] == [mine.id]
        assert await s.count_messages("acct-2") == 1

    store.run(body)


def test_list_is_newest_first_and_pages_by_cursor(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        messages = [new_message(parts=2) for _ in range(25)]
        await s.write(messages)
        await s.write([new_message("acct-2")])
        seen: list[str] = []
        cursor = None
        pages = []
        while True:
            page, cursor = await s.list_messages("acct-1", limit=10, cursor=cursor)
            pages.append(len(page))
            seen += [m.id for m in page]
            assert all(len(m.parts) == 2 for m in page)
            if cursor is None:
                break
        assert pages == [10, 10, 5]
        assert seen == sorted((m.id for m in messages), reverse=True)
        # a page that ends exactly at the last row says so
        page, cursor = await s.list_messages("acct-1", limit=25)
        assert len(page) == 25
        assert cursor is None

    store.run(body)


def test_list_and_count_filters(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        old = new_message(destination="111", created_at=1000.0)
        mid = new_message(destination="222", created_at=2000.0, client_ref="c-mid")
        new = new_message(destination="222", created_at=3000.0)
        await s.write([old, mid, new])
        await s.write([MessageUpdate(new.id, Status.QUEUED, 3001.0)])

        async def ids(**filters: object) -> list[str]:
            page, _ = await s.list_messages("acct-1", **filters)  # type: ignore[arg-type]
            count = await s.count_messages("acct-1", **filters)  # type: ignore[arg-type]
            assert count == len(page)
            return [m.id for m in page]

        assert await ids() == [new.id, mid.id, old.id]
        assert await ids(destination="222") == [new.id, mid.id]
        assert await ids(status=Status.QUEUED) == [new.id]
        assert await ids(status=Status.ACCEPTED, destination="222") == [mid.id]
        assert await ids(client_ref="c-mid") == [mid.id]
        assert await ids(created_after=2000.0) == [new.id, mid.id]  # inclusive
        assert await ids(created_before=2000.0) == [old.id]  # exclusive
        assert await ids(created_after=1500.0, created_before=2500.0) == [mid.id]
        assert await ids(destination="333") == []

    store.run(body)


def test_bad_cursor_and_limit_are_refused(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        with pytest.raises(InvalidCursorError):
            await s.list_messages("acct-1", cursor="%%%")
        with pytest.raises(ValueError, match="limit"):
            await s.list_messages("acct-1", limit=0)
        with pytest.raises(ValueError, match="limit"):
            await s.list_messages("acct-1", limit=1001)

    store.run(body)


def test_part_updates_set_only_given_fields_and_record_history(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        message = new_message(parts=2)
        mid = message.id
        await s.write([message])
        await s.write(
            [
                PartUpdate(mid, 1, Status.QUEUED, 10.0),
                PartUpdate(mid, 1, Status.SENDING, 11.0, connector_id="c1", attempts=1),
            ]
        )
        await s.write(
            [PartUpdate(mid, 1, Status.SENT, 12.0, upstream_id="UP-1", submitted_at=12.0)]
        )
        await s.write([PartUpdate(mid, 1, Status.DELIVERED, 13.0, done_at=13.0, detail="DELIVRD")])
        # a late ENROUTE receipt: history only, the part stays delivered
        await s.write([PartUpdate(mid, 1, Status.SENT, 14.0, detail="ENROUTE", applied=False)])
        await s.write([MessageUpdate(mid, Status.SENDING, 15.0, carrier="docomo", route_id="r1")])

        stored = await s.get_message(mid)
        assert stored is not None
        first, second = stored.parts
        assert first.status is Status.DELIVERED
        assert (first.connector_id, first.attempts, first.upstream_id) == ("c1", 1, "UP-1")
        assert (first.submitted_at, first.done_at) == (12.0, 13.0)
        assert second == message.parts[1]  # untouched
        assert stored.status is Status.SENDING
        assert (stored.carrier, stored.route_id, stored.updated_at) == ("docomo", "r1", 15.0)
        assert stored.error_code is None

        history = await s.history(mid)
        assert [(h.part_seq, h.status, h.at, h.applied) for h in history] == [
            (None, Status.ACCEPTED, message.created_at, True),
            (1, Status.QUEUED, 10.0, True),
            (1, Status.SENDING, 11.0, True),
            (1, Status.SENT, 12.0, True),
            (1, Status.DELIVERED, 13.0, True),
            (1, Status.SENT, 14.0, False),
            (None, Status.SENDING, 15.0, True),
        ]
        assert history[4].detail == "DELIVRD"
        assert history[5].detail == "ENROUTE"

    store.run(body)


def test_updates_of_one_part_from_concurrent_writers_apply_in_order(store: StoreBackend) -> None:
    """Writes queued together share a transaction; the later update of a row still wins and
    fields the later one leaves out keep the earlier value."""

    async def body(s: Store) -> None:
        message = new_message()
        await s.write([message])
        mid = message.id
        first = s.write([PartUpdate(mid, 1, Status.SENDING, 1.0, connector_id="c9", attempts=2)])
        second = s.write([PartUpdate(mid, 1, Status.SENT, 2.0, upstream_id="U9")])
        third = s.write([MessageUpdate(mid, Status.SENDING, 3.0, error_code="x")])
        fourth = s.write([MessageUpdate(mid, Status.SENT, 4.0)])
        await asyncio.gather(first, second, third, fourth)
        stored = await s.get_message(mid)
        assert stored is not None
        part = stored.parts[0]
        assert (part.status, part.connector_id, part.attempts, part.upstream_id) == (
            Status.SENT,
            "c9",
            2,
            "U9",
        )
        assert (stored.status, stored.updated_at, stored.error_code) == (Status.SENT, 4.0, "x")
        assert [h.status for h in await s.history(mid)] == [
            Status.ACCEPTED,
            Status.SENDING,
            Status.SENT,
            Status.SENDING,
            Status.SENT,
        ]

    store.run(body)


def test_find_part_by_upstream_id(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        a, b = new_message(parts=2), new_message()
        await s.write([a, b])
        await s.write(
            [
                PartUpdate(a.id, 2, Status.SENT, 1.0, upstream_id="abc123", connector_id="c1"),
                PartUpdate(b.id, 1, Status.SENT, 1.0, upstream_id="abc123", connector_id="c2"),
            ]
        )
        assert await s.find_part_by_upstream_id("abc123", "c1") == (a.id, 2)
        assert await s.find_part_by_upstream_id("abc123", "c2") == (b.id, 1)
        assert await s.find_part_by_upstream_id("abc123") == (b.id, 1)  # the newest
        assert await s.find_part_by_upstream_id("abc123", "c3") is None
        assert await s.find_part_by_upstream_id("nope") is None

    store.run(body)


def test_unfinished_messages_follow_updates(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        messages = [new_message(parts=2) for _ in range(6)]
        await s.write(messages)
        done, failed = messages[1], messages[4]
        await s.write(
            [
                MessageUpdate(messages[0].id, Status.QUEUED, 1.0),
                MessageUpdate(messages[2].id, Status.SCHEDULED, 1.0),
                MessageUpdate(messages[3].id, Status.QUEUED, 1.0),
                MessageUpdate(messages[3].id, Status.SENDING, 2.0),
                MessageUpdate(done.id, Status.QUEUED, 1.0),
                MessageUpdate(done.id, Status.SENDING, 2.0),
                MessageUpdate(done.id, Status.SENT, 3.0),
                MessageUpdate(done.id, Status.DELIVERED, 4.0),
                MessageUpdate(failed.id, Status.REJECTED, 1.0, error_code="no_route"),
            ]
        )
        expected = [m.id for m in messages if m not in (done, failed)]
        everything = await s.unfinished_messages(100)
        assert [m.id for m in everything] == expected
        assert all(len(m.parts) == 2 for m in everything)
        assert [m.status for m in everything] == [
            Status.QUEUED,
            Status.SCHEDULED,
            Status.SENDING,
            Status.ACCEPTED,
        ]
        first = await s.unfinished_messages(2)
        rest = await s.unfinished_messages(2, after_id=first[-1].id)
        assert [m.id for m in first + rest] == expected
        assert await s.unfinished_messages(2, after_id=rest[-1].id) == []

    store.run(body)


def test_duplicate_client_ref_is_refused(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        first = new_message(client_ref="once")
        await s.write([first])
        with pytest.raises(DuplicateError):
            await s.write([new_message(client_ref="once")])
        with pytest.raises(DuplicateError):
            await s.write([first])  # the same id again
        assert await s.count_messages("acct-1") == 1

    store.run(body)


def test_update_of_unknown_message_is_refused(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        with pytest.raises(IntegrityError):
            await s.write([PartUpdate("f" * 32, 1, Status.SENT, 1.0, upstream_id="x")])
        with pytest.raises(IntegrityError):
            await s.write([MessageUpdate("f" * 32, Status.SENT, 1.0)])
        message = new_message(parts=2)
        await s.write([message])
        with pytest.raises(IntegrityError, match="1 of 2 part updates found no part"):
            await s.write(
                [
                    PartUpdate(message.id, 2, Status.QUEUED, 1.0),
                    PartUpdate(message.id, 3, Status.QUEUED, 1.0, upstream_id="x"),
                ]
            )
        assert await s.get_message(message.id) == message  # the whole write rolled back
        assert len(await s.history(message.id)) == 1
        assert await s.find_part_by_upstream_id("x") is None

    store.run(body)


def test_a_write_is_one_transaction(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        taken = new_message(client_ref="taken")
        await s.write([taken])
        fresh = new_message()
        with pytest.raises(DuplicateError):
            await s.write([fresh, new_message(client_ref="taken")])
        assert await s.get_message(fresh.id) is None  # rolled back with its sibling

    store.run(body)


def test_changes_are_checked_before_queueing(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        message = new_message(parts=2)
        message.parts[1].message_id = "other"
        with pytest.raises(ValueError, match="names message other"):
            await s.write([message])
        with pytest.raises(TypeError):
            await s.write(["not a change"])  # type: ignore[list-item]
        await s.write([])  # nothing to do
        assert s.stats["transactions"] == 0

    store.run(body)


def test_a_long_history_written_at_once_keeps_its_order(store: StoreBackend) -> None:
    """Large batches take a different path (COPY on PostgreSQL); the order must not change."""

    async def body(s: Store) -> None:
        message = new_message(parts=2)
        await s.write([message])
        statuses = [Status.QUEUED, Status.SENDING]
        updates = [
            PartUpdate(message.id, 1 + i % 2, statuses[i % 2], float(i), detail=str(i))
            for i in range(150)
        ]
        await s.write(updates)
        history = await s.history(message.id)
        assert [h.detail for h in history[1:]] == [str(i) for i in range(150)]
        stored = await s.get_message(message.id)
        assert stored is not None
        assert [p.status for p in stored.parts] == [Status.QUEUED, Status.SENDING]

    store.run(body)


def test_a_replaced_message_gets_its_new_row_parts_and_a_history_line(
    store: StoreBackend,
) -> None:
    async def body(s: Store) -> None:
        message = new_message(parts=3, status=Status.SCHEDULED)
        await s.write([message])
        shorter = new_message(parts=1, status=Status.QUEUED)
        new = replace(
            message,
            text="shorter",
            comment="for the records",
            segments=1,
            status=Status.QUEUED,
            scheduled_at=None,
            valid_until=message.valid_until + 60,
            registered_delivery=False,
            receipt_only="failure",
            price="0.05",
            price_unit="EUR",
            parts=[replace(p, message_id=message.id) for p in shorter.parts],
        )
        await s.write([MessageReplaced(new, at=message.created_at + 1)])
        assert await s.get_message(message.id) == replace(new, updated_at=message.created_at + 1)
        assert (await s.history(message.id))[-1] == StatusChange(
            message.id, Status.QUEUED, message.created_at + 1, detail="replaced"
        )
        # a replacement of a message that is not there fails the whole write
        with pytest.raises(IntegrityError):
            await s.write([MessageReplaced(replace(new, id="f" * 32, parts=[]), at=2.0)])

    store.run(body)
