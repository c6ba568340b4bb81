"""What the operator commands read and delete, on both backends: an account deleted with
everything stored for it (and not while a message of it is unfinished), messages waiting by
account and status, the outbox's depth by channel and state, and ported numbers by prefix."""

import time

from smsgate.domain.ids import new_id
from smsgate.domain.inbound import InboundMessage, InboundNumber, OptOut
from smsgate.domain.message import Message
from smsgate.domain.outbox import AttemptOutcome, OutboxAttempt, OutboxItem, OutboxState
from smsgate.domain.routing_tables import PortabilityRow
from smsgate.domain.status import Status
from smsgate.store import MessageUpdate, OutboxUpdate, Store
from tests.store.backends import StoreBackend
from tests.store.factories import new_account, new_message


def _item(account_id: str, channel: str = "http", created_at: float = 100.0) -> OutboxItem:
    return OutboxItem(
        id=new_id(), channel=channel, account_id=account_id, subject_id=new_id(),
        event="delivered", payload={}, created_at=created_at, next_attempt_at=created_at,
        url="https://client.example/cb" if channel == "http" else None,
    )  # fmt: skip


def _final(account_id: str, status: Status = Status.DELIVERED) -> Message:
    message = new_message(account_id, parts=2)
    message.status = status
    for part in message.parts:
        part.status = status
    return message


def test_an_account_is_deleted_with_everything_stored_for_it(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        gone, kept = new_account("gone"), new_account("kept")
        for account in (gone, kept):
            await s.create_account(account)
        queued = new_message(gone.id, status=Status.QUEUED)
        messages = [_final(gone.id), _final(gone.id, Status.SENT), queued, _final(kept.id)]
        mo = InboundMessage(
            id=new_id(), connector_id="c", source="819011112222", destination="12345",
            text="hi", data_coding=0, payload=b"hi", received_at=1.0, account_id=gone.id,
        )  # fmt: skip
        pending, done, theirs = _item(gone.id), _item(gone.id, "smpp"), _item(kept.id)
        await s.write([*messages, mo, pending, done, theirs])
        await s.outbox_done(done, 2.0, code=0)  # with the record of its attempt
        await s.outbox_retry(theirs, 2.0, 3.0, "HTTP 503", code=503)
        await s.write([OptOut(gone.id, "819033334444", 1.0), OptOut(kept.id, "819033334444", 1.0)])
        await s.add_inbound_number(InboundNumber("12345", "", gone.id, 1.0))
        await s.set_balance(gone.id, 5_000_000, 1.0)

        assert await s.unfinished_counts(gone.id) == {Status.QUEUED: 1}
        refused = await s.delete_account(gone.id)
        # the final and sent messages went; the queued one and the account stay
        assert refused == {"unfinished": 1, "messages": 2}
        assert await s.get_account(gone.id) is not None
        assert await s.get_message(queued.id) is not None

        await s.write([_cancel(queued)])
        deleted = await s.delete_account(gone.id, batch=1)
        assert deleted == {
            "messages": 1, "inbound": 1, "outbox_attempts": 1, "outbox": 2, "inbound_numbers": 1,
            "opt_outs": 1, "balances": 1, "idempotency_keys": 0, "submitted_parts": 0,
            "rcs_subscribers": 0, "message_templates": 0, "console_users": 0, "api_keys": 0,
            "accounts": 1,
        }  # fmt: skip
        assert await s.outbox_attempts([done.id, theirs.id]) == {
            theirs.id: [OutboxAttempt(theirs.id, 1, 2.0, AttemptOutcome.RETRY, 503, "HTTP 503")]
        }
        assert await s.get_account(gone.id) is None
        assert await s.unfinished_counts(gone.id) == {}
        assert await s.list_inbound_numbers() == []
        assert await s.opt_outs() == [OptOut(kept.id, "819033334444", 1.0)]
        assert await s.balance(gone.id) is None
        assert [a.id for a in await s.list_accounts()] == [kept.id]
        assert (await s.status_counts(kept.id)) == {Status.DELIVERED: 1}
        assert [d.items for d in await s.outbox_depth()] == [1]

    store.run(body)


def _cancel(message: Message) -> MessageUpdate:
    return MessageUpdate(message.id, Status.CANCELED, time.time())


def test_waiting_messages_and_outbox_depth(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        a, b = "acct-a", "acct-b"
        scheduled = [new_message(a, status=Status.SCHEDULED, created_at=50.0 + i) for i in (0, 1)]
        scheduled[0].scheduled_at, scheduled[1].scheduled_at = 900.0, 800.0
        sent = new_message(a, status=Status.SENT, created_at=70.0)
        await s.write(
            [
                *scheduled,
                sent,
                new_message(b, status=Status.QUEUED, created_at=60.0),
                _final(a),
            ]
        )
        waiting = await s.waiting_messages()
        assert [(w.account_id, w.status, w.messages, w.oldest) for w in waiting] == [
            (a, Status.SCHEDULED, 2, 50.0),
            (a, Status.SENT, 1, 70.0),
            (b, Status.QUEUED, 1, 60.0),
        ]
        assert waiting[0].next_scheduled == 800.0 and waiting[2].next_scheduled is None
        assert [w.status for w in await s.waiting_messages(b)] == [Status.QUEUED]

        items = [_item(a, "http", 10.0), _item(a, "http", 20.0), _item(a, "smpp"), _item(b)]
        await s.write(items)
        await s.write([OutboxUpdate(items[0].id, OutboxState.ABANDONED, 30.0, 8)])
        await s.write([OutboxUpdate(items[2].id, OutboxState.DONE, 30.0, 1)])
        depth = [(d.channel, d.state, d.items, d.oldest) for d in await s.outbox_depth()]
        assert depth == [
            ("http", OutboxState.PENDING, 2, 20.0),
            ("http", OutboxState.ABANDONED, 1, 10.0),
        ]
        assert [(d.state, d.items) for d in await s.outbox_depth(b)] == [(OutboxState.PENDING, 1)]

    store.run(body)


def test_ported_numbers_by_prefix_and_carrier(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        numbers = ["819011110000", "819011119999", "819012220000", "8190111"]
        await s.import_portability(
            PortabilityRow(n, "kddi" if i % 2 else "docomo", 1.0) for i, n in enumerate(numbers)
        )
        assert await s.find_portability(prefix="8190111") == (
            [("8190111", "kddi"), ("819011110000", "docomo"), ("819011119999", "kddi")],
            3,
        )
        assert await s.find_portability(prefix="81901", carrier="kddi", limit=1) == (
            [("8190111", "kddi")],
            2,
        )
        assert await s.find_portability(prefix="8191") == ([], 0)
        assert (await s.find_portability())[1] == 4

    store.run(body)
