"""Numbered pages of messages, redacting a message's text and deleting one message, on both
backends (what the Reach dialect's list, update and delete use)."""

import dataclasses

from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import Status
from smsgate.store import MessageUpdate, Store
from tests.store.backends import StoreBackend
from tests.store.factories import new_message


def test_numbered_pages_with_filters_and_total(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        messages = [new_message(created_at=1000.0 + i) for i in range(5)]
        tagged = dataclasses.replace(new_message(created_at=2000.0), tag="bulk-1", source="ACME")
        other = new_message("acct-2", created_at=3000.0)
        await s.write([*messages, tagged, other])
        newest_first = [tagged.id, *(m.id for m in reversed(messages))]

        page, total = await s.message_page("acct-1", limit=2)
        assert total == 6 and [m.id for m in page] == newest_first[:2]
        page, total = await s.message_page("acct-1", offset=4, limit=2)
        assert total == 6 and [m.id for m in page] == newest_first[4:]
        assert len(page[0].parts) == 1  # with their parts
        assert await s.message_page("acct-1", offset=6, limit=2) == ([], 6)

        page, total = await s.message_page("acct-1", tag="bulk-1")
        assert total == 1 and [m.id for m in page] == [tagged.id]
        page, total = await s.message_page("acct-1", source="ACME", destination="819012345678")
        assert total == 1 and page[0].tag == "bulk-1"
        page, total = await s.message_page("acct-1", created_after=1001.0, created_before=1003.0)
        assert [m.id for m in page] == [messages[2].id, messages[1].id] and total == 2
        assert await s.message_page("acct-1", source="nobody") == ([], 0)

    store.run(body)


def test_redacting_the_text_changes_only_the_text_and_its_comment(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        message = new_message(created_at=1000.0)
        message.comment = "the customer's note"
        await s.write([message])
        assert await s.set_message_text(message.id, "acct-1", "", 1500.0)
        stored = await s.get_message(message.id)
        assert stored is not None
        assert (stored.text, stored.comment, stored.updated_at) == ("", None, 1500.0)
        assert stored.destination == message.destination and stored.parts == message.parts
        # another account's message, and an unknown one, are left alone
        assert not await s.set_message_text(message.id, "acct-2", "x", 1600.0)
        assert not await s.set_message_text("nope", "acct-1", "x", 1600.0)

    store.run(body)


def test_deleting_a_message_takes_its_parts_history_and_settled_items(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        message = new_message(created_at=1000.0)
        kept = new_message(created_at=1001.0)
        item = OutboxItem(
            id="item-1",
            channel="http",
            account_id="acct-1",
            subject_id=message.id,
            event="delivered",
            payload={},
            created_at=1002.0,
            next_attempt_at=1002.0,
            url="https://client.example/cb",
        )
        await s.write([message, kept, item])
        await s.write([MessageUpdate(message.id, Status.DELIVERED, 1003.0)])
        assert await s.history(message.id)
        assert not await s.delete_message(message.id, "acct-2")  # not that account's
        assert await s.delete_message(message.id, "acct-1")
        assert await s.get_message(message.id) is None
        assert await s.history(message.id) == []
        # the pending item is still owed; the other message is untouched
        assert await s.outbox_item("item-1") is not None
        assert await s.get_message(kept.id) is not None
        assert not await s.delete_message(message.id, "acct-1")

    store.run(body)
