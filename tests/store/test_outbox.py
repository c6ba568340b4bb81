"""The outbox on both backends: items ride with the change that causes them, are claimed when
due, in order per message, and settle as done, retried or abandoned."""

import asyncio

from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem, OutboxState
from smsgate.domain.status import Status
from smsgate.store import IntegrityError, MessageUpdate, OutboxUpdate, Store
from tests.store.backends import StoreBackend
from tests.store.factories import new_message

NOW = 1_800_000_000.0


def item(
    subject: str,
    event: str = "delivered",
    *,
    account: str = "acct-1",
    channel: str = "http",
    due: float = NOW,
) -> OutboxItem:
    return OutboxItem(
        id=new_id(),
        channel=channel,
        account_id=account,
        subject_id=subject,
        event=event,
        payload={"id": subject, "status": event, "price": "0.07", "text": "héllo"},
        created_at=NOW,
        next_attempt_at=due,
        url="https://client.example/cb" if channel == "http" else None,
    )


def test_an_item_commits_with_its_status_change_and_round_trips(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        message = new_message()
        await s.write([message])
        owed = item(message.id)
        await s.write([MessageUpdate(message.id, Status.DELIVERED, NOW), owed])
        assert await s.outbox_item(owed.id) == OutboxItem(
            **{**_fields(owed), "updated_at": NOW}  # stored: updated_at = created_at
        )
        # a failing status change takes its outbox item down with it
        orphan = item("0" * 32)
        try:
            await s.write([MessageUpdate("0" * 32, Status.DELIVERED, NOW), orphan])
        except IntegrityError:
            pass
        else:
            raise AssertionError("an update of no message was written")
        assert await s.outbox_item(orphan.id) is None

    store.run(body)


def _fields(value: OutboxItem) -> dict[str, object]:
    return {name: getattr(value, name) for name in OutboxItem.__slots__}


def test_claim_takes_due_items_of_the_channel_and_hides_them_for_the_lease(
    store: StoreBackend,
) -> None:
    async def body(s: Store) -> None:
        due = [item(new_id()) for _ in range(3)]
        later = item(new_id(), due=NOW + 60)
        receipt = item(new_id(), channel="smpp", account="acct-2")
        await s.write([*due, later, receipt])
        claimed = await s.claim_outbox("http", NOW, limit=10, lease=30)
        assert [c.id for c in claimed] == [d.id for d in due]
        assert all(c.next_attempt_at == NOW + 30 for c in claimed)
        assert await s.claim_outbox("http", NOW + 29, limit=10) == []
        # not settled within the lease (the claimer died): due again, with the later one
        again = await s.claim_outbox("http", NOW + 60, limit=10)
        assert [c.id for c in again] == [*(d.id for d in due), later.id]
        assert await s.claim_outbox("smpp", NOW, account_id="acct-1") == []
        (mine,) = await s.claim_outbox("smpp", NOW, account_id="acct-2")
        assert mine.id == receipt.id and mine.payload == receipt.payload

    store.run(body)


def test_claim_respects_the_limit(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        await s.write([item(new_id()) for _ in range(5)])
        first = await s.claim_outbox("http", NOW, limit=2)
        second = await s.claim_outbox("http", NOW, limit=10)
        assert len(first) == 2 and len(second) == 3
        assert not {c.id for c in first} & {c.id for c in second}

    store.run(body)


def test_one_messages_items_come_in_order_after_retries(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        message = new_id()
        sent, delivered = item(message, "sent"), item(message, "delivered")
        await s.write([sent, delivered])
        (first,) = await s.claim_outbox("http", NOW, limit=10)
        assert first.id == sent.id  # delivered waits behind sent
        await s.outbox_retry(first, NOW + 1, NOW + 10, "timeout")
        assert await s.claim_outbox("http", NOW + 5, limit=10) == []
        (retried,) = await s.claim_outbox("http", NOW + 10, limit=10)
        assert retried.id == sent.id and retried.attempts == 1
        assert retried.last_error == "timeout"
        await s.outbox_done(retried, NOW + 11)
        (follower,) = await s.claim_outbox("http", NOW + 11, limit=10)
        assert follower.id == delivered.id
        stored = await s.outbox_item(sent.id)
        assert stored is not None and stored.state is OutboxState.DONE and stored.attempts == 2

    store.run(body)


def test_abandoned_items_are_listed_for_their_account(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        items = [item(new_id()) for _ in range(3)]
        await s.write([*items, item(new_id(), account="acct-2")])
        claimed = await s.claim_outbox("http", NOW, limit=10, account_id="acct-1")
        await asyncio.gather(
            s.outbox_abandon(claimed[0], NOW + 1, "HTTP 404"),
            s.outbox_abandon(claimed[1], NOW + 1, "HTTP 410"),
            s.outbox_release([claimed[2]], NOW + 1),
        )
        page, cursor = await s.list_outbox("acct-1", state=OutboxState.ABANDONED, limit=1)
        assert [i.id for i in page] == [items[1].id] and cursor is not None
        rest, end = await s.list_outbox("acct-1", state=OutboxState.ABANDONED, cursor=cursor)
        assert [i.id for i in rest] == [items[0].id] and end is None
        assert rest[0].last_error == "HTTP 404" and rest[0].attempts == 1
        # released: due at once, no attempt counted
        (back,) = await s.claim_outbox("http", NOW + 1, account_id="acct-1")
        assert back.id == items[2].id and back.attempts == 0
        by_subject, _ = await s.list_outbox("acct-1", subject_id=items[0].subject_id)
        assert [i.id for i in by_subject] == [items[0].id]

    store.run(body)


def test_an_update_of_no_item_is_refused(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        try:
            await s.write([OutboxUpdate(new_id(), OutboxState.DONE, NOW, 1)])
        except IntegrityError:
            return
        raise AssertionError("an update of no outbox item was written")

    store.run(body)


def test_many_items_in_one_write(store: StoreBackend) -> None:
    """Past the PostgreSQL backend's COPY threshold, and claimed in pages."""

    async def body(s: Store) -> None:
        items = [item(new_id()) for _ in range(150)]
        await s.write(items)
        claimed: list[OutboxItem] = []
        while page := await s.claim_outbox("http", NOW, limit=64):
            claimed += page
        assert sorted(c.id for c in claimed) == [i.id for i in items]
        assert claimed[0].payload == items[0].payload

    store.run(body)
