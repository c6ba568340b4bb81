"""The periodic jobs' statements: messages whose validity or channel time ended, paged by when
they became due, each once, read through the small partial indexes rather than every message;
and the retention purge's batches, which read no table whole and no account's messages past the
old ones."""

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.store import Store, sql
from smsgate.store.paging import Due
from tests.store.backends import StoreBackend, sqlite_explain
from tests.store.factories import new_account, new_message

NOW = 1_800_000_000.0


def _sent(account_id: str, *, valid_until: float, channel_until: float | None) -> Message:
    message = new_message(account_id, status=Status.SENT)
    message.valid_until = valid_until
    message.channel_until = channel_until
    for part in message.parts:
        part.connector_id = "c1"
        part.upstream_id = f"{message.id}-{part.seq}"
    return message


async def _all_pages(
    read: Callable[[int, Due | None], Awaitable[list[Due]]], limit: int
) -> list[Due]:
    seen: list[Due] = []
    after: Due | None = None
    while True:
        page = await read(limit, after)
        seen.extend(page)
        if len(page) < limit:
            return seen
        after = page[-1]


def test_due_messages_come_in_pages_by_due_time_each_once(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        account = new_account()
        await s.create_account(account)
        # three share one due time: the id orders them, and a page may end between them
        ends = [NOW - 50, NOW - 10, NOW - 10, NOW - 10, NOW - 30, NOW - 1]
        due = [_sent(account.id, valid_until=t, channel_until=t) for t in ends]
        later = _sent(account.id, valid_until=NOW + 60, channel_until=NOW + 60)
        no_channel_time = _sent(account.id, valid_until=NOW - 5, channel_until=None)
        delivered = _sent(account.id, valid_until=NOW - 5, channel_until=NOW - 5)
        delivered.status = Status.DELIVERED
        await s.write([*due, later, no_channel_time, delivered])
        expected = sorted(Due(m.valid_until, m.id) for m in due)

        for limit in (1, 2, 4, 100):
            timed_out = await _all_pages(lambda n, after: s.channel_timed_out(NOW, n, after), limit)
            assert timed_out == expected, limit
            unreceipted = await _all_pages(
                lambda n, after: s.unreceipted_messages("c1", NOW, n, after), limit
            )
            ended = sorted([*expected, Due(no_channel_time.valid_until, no_channel_time.id)])
            assert unreceipted == ended, limit
        assert await s.unreceipted_messages("c2", NOW, 10) == []

    store.run(body)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (sql.CHANNEL_TIMED_OUT, "messages_channel_until"),
        (sql.UNRECEIPTED_MESSAGES, "messages_sent"),
    ],
)
def test_sqlite_reads_the_partial_index_not_every_message(
    tmp_path: Path, query: str, index: str
) -> None:
    # SQLite's planner has no statistics here and once chose the primary key's index for an
    # ORDER BY id, walking every message stored on each pass (every 0.25 s); PostgreSQL's
    # weighs its statistics, so a plan of its own says little on a test's small tables
    plan = " ".join(sqlite_explain(tmp_path, query))
    assert f"USING INDEX {index} (" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # the index's order is the page's order


@pytest.mark.parametrize("statement", sql.PURGE_MESSAGES)
def test_sqlite_purges_a_batch_without_reading_every_outbox_item_or_message(
    tmp_path: Path, statement: str
) -> None:
    # the outbox keeps settled items until their message goes; only pending ones are in its
    # other indexes, and a purge batch once read them all, twice
    plan = sqlite_explain(tmp_path, statement)
    assert not [step for step in plan if step.startswith("SCAN")], plan
    # read in id order, the batch went through every message of the account whenever fewer
    # than a batch were old enough, as each run's last batch is; by creation time it stops
    # at the first message too young
    read = "SEARCH messages USING INDEX messages_created (account_id=? AND created_at<?)"
    assert read in plan, plan


MO_RANGE = "SEARCH inbound USING INDEX inbound_account (account_id=? AND id<?)"
OUTBOX_SPAN = "SEARCH outbox USING INDEX sqlite_autoindex_outbox_1 (id>? AND id<?)"


@pytest.mark.parametrize(
    ("statement", "search"),
    [
        # the account's MO older than the bound, and their outbox items by subject
        *((statement, MO_RANGE) for statement in sql.PURGE_INBOUND),
        # no index leads from an account to its outbox items: a span of the primary key
        (sql.OUTBOX_SPAN_END, "SEARCH outbox USING COVERING INDEX sqlite_autoindex_outbox_1"),
        (sql.DELETE_SPAN_ATTEMPTS, OUTBOX_SPAN),
        (sql.DELETE_SPAN_OUTBOX, OUTBOX_SPAN),
    ],
)
def test_sqlite_deletes_by_ranges_of_ids(tmp_path: Path, statement: str, search: str) -> None:
    # each transaction of the MO purge and of an account's deletion reads a range of an
    # index, never a table whole, however much MO and outbox the file holds
    plan = sqlite_explain(tmp_path, statement)
    assert not [step for step in plan if step.startswith("SCAN")], plan
    assert [step for step in plan if step.startswith(search)], plan
