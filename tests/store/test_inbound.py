"""MO in the store, on both backends: stored segments of concatenated messages, numbers that
route MO to accounts, opt-outs, and pages of inbound messages (an account's, the unclaimed)."""

import pytest

from smsgate.domain.ids import new_id
from smsgate.domain.inbound import InboundMessage, InboundNumber, InboundSegment, OptOut
from smsgate.store import DuplicateError, InboundClaim, IntegrityError, SegmentsTaken, Store
from tests.store.backends import StoreBackend
from tests.store.factories import new_account

NOW = 1_800_000_000.0


def segment(seq: int, reference: int = 7, total: int = 3) -> InboundSegment:
    return InboundSegment(
        "819011112222", "81312345678", reference, total, seq, "c1", 8, b"\x00A" * seq, NOW + seq
    )


def mo(account_id: str | None, source: str = "819011112222", at: float = NOW) -> InboundMessage:
    return InboundMessage(
        id=new_id(),
        connector_id="c1",
        source=source,
        destination="81312345678",
        text="hi",
        data_coding=0,
        payload=b"hi",
        received_at=at,
        account_id=account_id,
    )


def test_segments_are_kept_until_their_message_is_stored(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        await s.write([segment(2), segment(1), segment(1, reference=8)])
        assert await s.inbound_segments() == [segment(1), segment(1, reference=8), segment(2)]
        whole = mo(None)
        await s.write([whole, SegmentsTaken("819011112222", "81312345678", 7, 3)])
        assert await s.inbound_segments() == [segment(1, reference=8)]
        with pytest.raises(DuplicateError):  # a part is stored once
            await s.write([segment(1, reference=8)])

    store.run(body)


def test_opt_outs_are_added_and_removed(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        await s.write([OptOut("a", "819011112222", NOW), OptOut("b", "819011112222", NOW)])
        # the last change of a number in one transaction wins
        await s.write(
            [
                OptOut("a", "819033334444", NOW, active=False),
                OptOut("a", "819033334444", NOW + 1),
                OptOut("b", "819011112222", NOW + 1, active=False),
            ]
        )
        assert await s.opt_outs() == [
            OptOut("a", "819011112222", NOW),
            OptOut("a", "819033334444", NOW + 1),
        ]
        assert await s.opt_outs("b") == []

    store.run(body)


def test_numbers_have_one_owner_per_keyword(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        first, second = new_account("first"), new_account("second")
        await s.create_account(first)
        await s.create_account(second)
        shared = "81312345678"
        await s.add_inbound_number(InboundNumber(shared, "", first.id, NOW))
        await s.add_inbound_number(InboundNumber(shared, "SALE", second.id, NOW))
        with pytest.raises(DuplicateError):
            await s.add_inbound_number(InboundNumber(shared, "SALE", first.id, NOW))
        owners = sorted((k, a.name) for k, a in await s.inbound_owners(shared))
        assert owners == [("", "first"), ("SALE", "second")]
        assert [n.keyword for n in await s.list_inbound_numbers(second.id)] == ["SALE"]
        assert len(await s.list_inbound_numbers()) == 2
        assert await s.remove_inbound_number(shared, "SALE")
        assert not await s.remove_inbound_number(shared, "SALE")
        assert await s.inbound_owners("0000") == []

    store.run(body)


def test_inbound_pages_by_account_filters_and_unclaimed(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        mine = [mo("a", at=NOW + i) for i in range(5)]
        other, lost = mo("b"), mo(None, source="819099990000")
        await s.write([*mine, other, lost])
        page, cursor = await s.list_inbound("a", limit=3)
        assert [m.id for m in page] == [m.id for m in reversed(mine[2:])]
        assert cursor is not None
        rest, end = await s.list_inbound("a", limit=3, cursor=cursor)
        assert [m.id for m in rest] == [mine[1].id, mine[0].id] and end is None
        timed, _ = await s.list_inbound("a", received_after=NOW + 1, received_before=NOW + 3)
        assert [m.id for m in timed] == [mine[2].id, mine[1].id]
        assert (await s.list_inbound("a", source="819099990000"))[0] == []
        unclaimed, _ = await s.list_unclaimed_inbound()
        assert [m.id for m in unclaimed] == [lost.id]

    store.run(body)


def test_unclaimed_messages_are_claimed_for_an_account(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        lost, other = mo(None), mo(None, source="819099990000")
        await s.write([lost, other])
        await s.write([InboundClaim(lost.id, "a")])
        assert [m.id for m in (await s.list_inbound("a"))[0]] == [lost.id]
        assert [m.id for m in (await s.list_unclaimed_inbound())[0]] == [other.id]
        with pytest.raises(IntegrityError):
            await s.write([InboundClaim("no-such-id", "a")])

    store.run(body)
