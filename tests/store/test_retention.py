"""Accounts' dialect settings and the retention purge (messages and MO), on both backends."""

from smsgate.domain.ids import new_id
from smsgate.domain.inbound import InboundMessage
from smsgate.domain.outbox import AttemptOutcome, OutboxAttempt, OutboxItem, OutboxState
from smsgate.domain.status import Status
from smsgate.store import MessageUpdate, OutboxUpdate, Store
from tests.store.backends import StoreBackend
from tests.store.factories import id_made_at, new_account, new_message


def test_account_settings_round_trip_and_bot_lookup(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        account = new_account("bot owner")
        account.ip_allow = "192.0.2.0/24 2001:db8::1"
        account.bot_id = "bot-001"
        account.retention = 31 * 86_400.0
        account.callback_format = "kddi"
        await s.create_account(account)
        await s.create_account(new_account("other"))
        assert await s.get_account(account.id) == account
        assert await s.account_by_bot_id("bot-001") == account
        assert await s.account_by_bot_id("bot-002") is None

    store.run(body)


def test_purge_deletes_old_final_messages_only(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        day = 86_400.0
        now = 1_800_000_000.0
        old = [new_message("acct-1", created_at=now - 40 * day, parts=2) for _ in range(5)]
        for message in old:
            message.status = Status.DELIVERED
            for part in message.parts:
                part.status = Status.DELIVERED
        unfinished = new_message("acct-1", created_at=now - 40 * day, status=Status.QUEUED)
        recent = new_message("acct-1", created_at=now - day)
        recent.status = Status.DELIVERED
        other = new_message("acct-2", created_at=now - 40 * day)
        other.status = Status.DELIVERED
        await s.write([*old, unfinished, recent, other])
        await s.write([MessageUpdate(m.id, Status.DELIVERED, now - 39 * day) for m in old])
        item = OutboxItem(
            id=new_id(),
            channel="http",
            account_id="acct-1",
            subject_id=old[0].id,
            event="delivered",
            payload={"id": old[0].id},
            created_at=now - 39 * day,
            next_attempt_at=now - 39 * day,
            url="https://client.example/cb",
        )
        await s.write([item])
        await s.write([OutboxUpdate(item.id, OutboxState.DONE, now - 39 * day, 1)])

        purged = await s.purge_messages("acct-1", now - 31 * day, batch=2)

        assert purged == 5
        for message in old:
            assert await s.get_message(message.id) is None
            assert await s.history(message.id) == []
        assert await s.outbox_item(item.id) is None
        for kept in (unfinished, recent, other):
            found = await s.get_message(kept.id)
            assert found is not None and len(found.parts) == len(kept.parts)
        assert await s.purge_messages("acct-1", now - 31 * day) == 0

    store.run(body)


def test_purge_deletes_old_mo_with_their_settled_webhook_calls(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        day = 86_400.0
        now = 1_800_000_000.0

        def mo(account_id: str | None, age: float) -> InboundMessage:
            at = now - age * day
            return InboundMessage(
                id_made_at(at), "sim", "819012345678", "1234", "hi", 0, b"hi", at, account_id
            )

        def call(message: InboundMessage) -> OutboxItem:
            return OutboxItem(
                id=new_id(),
                channel="http",
                account_id="acct-1",
                subject_id=message.id,
                event="inbound",
                payload={"id": message.id},
                created_at=message.received_at,
                next_attempt_at=message.received_at,
                url="https://client.example/mo",
            )

        old = [mo("acct-1", 40) for _ in range(3)]
        owed = mo("acct-1", 40)  # its webhook call still pending
        recent, other, unclaimed = mo("acct-1", 1), mo("acct-2", 40), mo(None, 40)
        await s.write([*old, owed, recent, other, unclaimed])
        settled, pending = call(old[0]), call(owed)
        await s.write([settled, pending])
        done_at = now - 39 * day
        await s.write(
            [
                OutboxUpdate(settled.id, OutboxState.DONE, done_at, 1),
                OutboxAttempt(settled.id, 1, done_at, AttemptOutcome.DELIVERED, 200),
            ]
        )

        assert await s.purge_inbound("acct-1", now - 31 * day, batch=2) == 3
        kept, _ = await s.list_inbound("acct-1")
        assert sorted(m.id for m in kept) == sorted([owed.id, recent.id])
        assert await s.outbox_item(settled.id) is None
        assert await s.outbox_attempts([settled.id]) == {}
        assert (await s.list_inbound("acct-2"))[0] == [other]
        assert [m.id for m in (await s.list_unclaimed_inbound())[0]] == [unclaimed.id]
        assert await s.outbox_item(pending.id) is not None
        assert await s.purge_inbound("acct-1", now - 31 * day) == 0
        # once its call settles, the owed one goes too
        await s.write([OutboxUpdate(pending.id, OutboxState.DONE, now, 1)])
        assert await s.purge_inbound("acct-1", now - 31 * day) == 1

    store.run(body)
