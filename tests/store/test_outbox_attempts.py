"""The record of each outbox delivery attempt, on both backends: written with the settlement
(or not at all), read back per item oldest first, pruned to the newest KEPT_ATTEMPTS (when an
attempt past them is settled, and when the item is replayed), and deleted with its item by
retention and by deleting the message."""

from smsgate.domain.ids import new_id
from smsgate.domain.outbox import AttemptOutcome, OutboxAttempt, OutboxItem, OutboxState
from smsgate.domain.status import Status
from smsgate.store import IntegrityError, OutboxUpdate, Store
from smsgate.store.sql import KEPT_ATTEMPTS
from tests.store.backends import StoreBackend
from tests.store.factories import new_message

NOW = 1_800_000_000.0


def _item(subject: str, channel: str = "http", account: str = "acct-1") -> OutboxItem:
    return OutboxItem(
        id=new_id(), channel=channel, account_id=account, subject_id=subject, event="delivered",
        payload={"id": subject}, created_at=NOW, next_attempt_at=NOW,
        url="https://client.example/cb" if channel == "http" else None,
    )  # fmt: skip


def _attempts(item_id: str, numbers: range, outcome: AttemptOutcome) -> list[OutboxAttempt]:
    return [OutboxAttempt(item_id, n, NOW + n, outcome, 500, "HTTP 500") for n in numbers]


def test_attempts_are_written_with_their_settlement_and_read_back_oldest_first(
    store: StoreBackend,
) -> None:
    async def body(s: Store) -> None:
        http, smpp, untried = _item("m-1"), _item("m-1", "smpp"), _item("m-2")
        await s.write([http, smpp, untried])
        await s.outbox_retry(http, NOW + 1, NOW + 3, "HTTP 503", code=503, duration=0.25)
        stored = await s.outbox_item(http.id)
        assert stored is not None
        await s.outbox_done(stored, NOW + 3, code=200, duration=0.012)
        await s.outbox_abandon(smpp, NOW + 2, "deliver_sm refused with status 0x58", code=0x58)
        await s.outbox_release([untried], NOW + 2)  # not an attempt: nothing recorded
        found = await s.outbox_attempts([http.id, smpp.id, untried.id, "no-such-item"])
        assert found == {
            http.id: [
                OutboxAttempt(http.id, 1, NOW + 1, AttemptOutcome.RETRY, 503, "HTTP 503", 0.25),
                OutboxAttempt(http.id, 2, NOW + 3, AttemptOutcome.DELIVERED, 200, None, 0.012),
            ],
            smpp.id: [
                OutboxAttempt(
                    smpp.id,
                    1,
                    NOW + 2,
                    AttemptOutcome.DEAD,
                    0x58,
                    "deliver_sm refused with status 0x58",
                )
            ],
        }
        # a command_status beyond 2**31 (vendor-specific) is kept as it came
        await s.write([OutboxAttempt(untried.id, 1, NOW + 4, AttemptOutcome.RETRY, 0xFFFFFFFF)])
        assert (await s.outbox_attempts([untried.id]))[untried.id][0].code == 0xFFFFFFFF
        # a settlement that fails (no such item) takes its attempt's record down with it
        ghost = _item("m-3")
        try:
            await s.outbox_done(ghost, NOW)
        except IntegrityError:
            pass
        else:
            raise AssertionError("an update of no outbox item was written")
        assert await s.outbox_attempts([ghost.id]) == {}

    store.run(body)


def test_an_item_keeps_its_newest_attempts_and_a_replay_prunes_the_rest(
    store: StoreBackend,
) -> None:
    async def body(s: Store) -> None:
        item, other = _item("m-1", "smpp"), _item("m-2", "smpp")
        await s.write([item, other])
        await s.write(_attempts(item.id, range(1, KEPT_ATTEMPTS + 1), AttemptOutcome.RETRY))
        await s.write(_attempts(other.id, range(1, 4), AttemptOutcome.RETRY))
        kept = await s.outbox_attempts([item.id])
        assert [a.attempt for a in kept[item.id]] == list(range(1, KEPT_ATTEMPTS + 1))
        # each attempt past KEPT_ATTEMPTS, in the write that settles it, takes the oldest away
        for number in range(KEPT_ATTEMPTS + 1, KEPT_ATTEMPTS + 4):
            outcome = AttemptOutcome.RETRY if number < KEPT_ATTEMPTS + 3 else AttemptOutcome.DEAD
            state = (
                OutboxState.PENDING if outcome is AttemptOutcome.RETRY else OutboxState.ABANDONED
            )
            await s.write(
                [
                    OutboxUpdate(item.id, state, NOW + number, number, NOW + number, "HTTP 500"),
                    *_attempts(item.id, range(number, number + 1), outcome),
                ]
            )
        newest = list(range(4, KEPT_ATTEMPTS + 4))
        found = await s.outbox_attempts([item.id, other.id])
        assert [a.attempt for a in found[item.id]] == newest
        assert [a.attempt for a in found[other.id]] == [1, 2, 3]  # another item's are its own
        # a replay numbers the attempts from 1 again; those of before it are pruned at the
        # next replay (an attempt numbered 1 does not prune)
        assert await s.outbox_replay([item.id], NOW + 100) == 1
        await s.write(_attempts(item.id, range(1, 2), AttemptOutcome.DEAD))
        await s.write([OutboxUpdate(item.id, OutboxState.ABANDONED, NOW + 101, 1)])
        found = await s.outbox_attempts([item.id])
        assert [a.attempt for a in found[item.id]] == [*newest, 1]
        assert await s.outbox_replay(None, NOW + 200) == 1
        found = await s.outbox_attempts([item.id])
        assert [a.attempt for a in found[item.id]] == [*newest[1:], 1]

    store.run(body)


def test_attempts_go_with_their_items_on_purge_and_message_deletion(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        day = 86_400.0
        old = new_message("acct-1", created_at=NOW - 40 * day, status=Status.DELIVERED)
        deleted = new_message("acct-1", created_at=NOW, status=Status.DELIVERED)
        kept = new_message("acct-1", created_at=NOW, status=Status.DELIVERED)
        settled, owed = _item(old.id), _item(old.id)
        items = [settled, owed, _item(deleted.id), _item(kept.id)]
        await s.write([old, deleted, kept, *items])
        for item in items:
            await s.outbox_retry(item, NOW, NOW + 10, "HTTP 500", code=500)
        await s.write(
            [OutboxUpdate(i.id, OutboxState.ABANDONED, NOW, 1) for i in items if i != owed]
        )
        assert await s.purge_messages("acct-1", NOW - 30 * day) == 1
        assert await s.delete_message(deleted.id, "acct-1")
        left = await s.outbox_attempts([item.id for item in items])
        # a pending item stays, with its attempts, as retention leaves it
        assert sorted(left) == sorted([owed.id, items[3].id])

    store.run(body)
