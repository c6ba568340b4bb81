"""Prepaid balances, the price list, idempotency records and campaign tags, on both backends."""

import dataclasses
from decimal import Decimal

import pytest

from smsgate.domain.pricing import PriceRule
from smsgate.domain.status import Status
from smsgate.store import BalanceError, DuplicateError, IntegrityError, Store
from smsgate.store.changes import BalanceChange, IdempotentResponse
from tests.store.backends import StoreBackend
from tests.store.factories import new_message


def test_balance_changes_are_written_with_the_messages(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        assert await s.balance("acct-1") is None  # postpaid
        assert await s.add_balance("acct-1", 1_000_000, 10.0) == 1_000_000
        first = new_message()
        await s.write([first, BalanceChange("acct-1", -300_000, 11.0)])
        assert await s.balance("acct-1") == (700_000, 11.0)
        # two callers folded into one transaction
        await s.write([BalanceChange("acct-1", -100_000, 12.0)])
        assert await s.balances() == {"acct-1": 600_000}

        # a write that would take the balance below zero is refused whole: its message too
        second = new_message()
        with pytest.raises(BalanceError):
            await s.write([second, BalanceChange("acct-1", -600_001, 13.0)])
        assert await s.get_message(second.id) is None
        assert await s.balance("acct-1") == (600_000, 12.0)

        # a balance change of a postpaid account changes nothing
        await s.write([BalanceChange("acct-2", -5, 14.0)])
        assert await s.balance("acct-2") is None

    store.run(body)


def test_only_the_overspending_caller_fails_in_a_shared_transaction(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        await s.set_balance("acct-1", 500, 1.0)
        ok, over = new_message(), new_message()
        futures = await s.enqueue(
            [[ok, BalanceChange("acct-1", -400, 2.0)], [over, BalanceChange("acct-1", -400, 2.0)]]
        )
        await futures[0]
        with pytest.raises(BalanceError):
            await futures[1]
        assert await s.get_message(ok.id) is not None
        assert await s.get_message(over.id) is None
        assert await s.balance("acct-1") == (100, 2.0)

    store.run(body)


def test_top_up_set_and_postpaid(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        assert await s.add_balance("acct-1", 2_500_000, 1.0) == 2_500_000
        assert await s.add_balance("acct-1", -500_000, 2.0) == 2_000_000
        with pytest.raises(IntegrityError):
            await s.add_balance("acct-1", -2_000_001, 3.0)
        assert await s.balance("acct-1") == (2_000_000, 2.0)
        await s.set_balance("acct-1", 7, 4.0)
        assert await s.balance("acct-1") == (7, 4.0)
        await s.set_balance("acct-1", None, 5.0)
        assert await s.balance("acct-1") is None

    store.run(body)


def test_price_list_is_replaced_whole_and_kept_in_order(store: StoreBackend) -> None:
    rules = [
        PriceRule(Decimal("0.0075"), "EUR", country="JP"),
        PriceRule(Decimal("0.05"), "EUR", route_id="premium", country="JP", carrier="docomo"),
        PriceRule(Decimal("3"), "JPY"),
    ]

    async def body(s: Store) -> None:
        await s.replace_prices(rules)
        assert await s.list_prices() == rules
        await s.replace_prices(rules[2:])
        assert await s.list_prices() == rules[2:]

    store.run(body)


def test_idempotency_record_lookup_expiry_and_purge(store: StoreBackend) -> None:
    record = IdempotentResponse("acct-1", "key-1", "hash", 202, b'{"id":"x"}', 1000.0, 0.0)

    async def body(s: Store) -> None:
        message = new_message()
        await s.write([message, record])
        assert await s.idempotent_response("acct-1", "key-1", 900.0) == (
            "hash",
            202,
            b'{"id":"x"}',
            1000.0,
        )
        assert await s.idempotent_response("acct-1", "key-1", 1001.0) is None  # expired
        assert await s.idempotent_response("acct-2", "key-1", 0.0) is None  # per account
        # the same key while the record lives is a duplicate, and takes its messages with it
        again = new_message()
        with pytest.raises(DuplicateError):
            await s.write([again, dataclasses.replace(record, created_at=1001.0)])
        assert await s.get_message(again.id) is None
        # once expired, a record of the same key replaces it
        later = dataclasses.replace(record, created_at=200_000.0, expired_before=113_600.0)
        await s.write([later])
        assert await s.idempotent_response("acct-1", "key-1", 0.0) == (
            "hash",
            202,
            b'{"id":"x"}',
            200_000.0,
        )
        await s.write([dataclasses.replace(record, key="key-2")])
        assert await s.purge_idempotency(113_600.0) == 1
        assert await s.idempotent_response("acct-1", "key-2", 0.0) is None

    store.run(body)


def test_messages_by_tag(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        spring = [dataclasses.replace(new_message(), tag="spring") for _ in range(3)]
        spring[0].status = Status.QUEUED
        autumn = dataclasses.replace(new_message(), tag="autumn")
        await s.write([*spring, autumn, new_message()])
        page, _ = await s.list_messages("acct-1", tag="spring")
        assert {m.id for m in page} == {m.id for m in spring}
        assert await s.count_messages("acct-1", tag="spring") == 3
        assert await s.count_messages("acct-2", tag="spring") == 0
        assert await s.status_counts("acct-1", tag="spring") == {
            Status.QUEUED: 1,
            Status.ACCEPTED: 2,
        }
        assert sum((await s.status_counts("acct-1")).values()) == 5

    store.run(body)
