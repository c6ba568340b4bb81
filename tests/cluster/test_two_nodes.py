"""Two nodes on one PostgreSQL schema share what must hold for the whole service: the
identical-request window, client_ref uniqueness, opt-outs and MO reassembly."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway
from smsgate.engine.ports import InboundPart
from smsgate.text.udh import Concat
from tests.cluster.nodes import two_nodes
from tests.store.backends import StoreBackend, store_backend

TO = "+819012345678"


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend("postgres", tmp_path) as chosen:
        yield chosen


def codes(results: list[Message | GatewayError]) -> list[str]:
    return [r.code if isinstance(r, GatewayError) else "accepted" for r in results]


def code_of(outcome: list[Message | GatewayError] | BaseException) -> str:
    """What one accept call of one message came to (a lone refusal is raised)."""
    if isinstance(outcome, GatewayError):
        return outcome.code
    assert isinstance(outcome, list), outcome
    return codes(outcome)[0]


def test_the_identical_request_window_holds_across_nodes(pg: StoreBackend) -> None:
    async def body() -> None:
        async with two_nodes(pg) as (a, b, account):
            hello = SendCommand(to=TO, text="Hello")
            assert codes(await a.gateway.accept(account, [hello])) == ["accepted"]
            # b's memory never saw it: its store write is refused, that message alone
            other = SendCommand(to=TO, text="Another text")
            results = await b.gateway.accept(account, [hello, other])
            assert codes(results) == ["identical", "accepted"]
            with pytest.raises(GatewayError) as refused:  # a request of one message
                await b.gateway.accept(account, [hello])
            assert refused.value.code == "identical"
            rows = await pg.fetch("SELECT count(*) FROM identical_requests")
            assert rows == [(2,)]

    asyncio.run(asyncio.wait_for(body(), 30))


def test_one_client_ref_accepted_on_two_nodes_at_once_is_one_message(pg: StoreBackend) -> None:
    async def body() -> None:
        async with two_nodes(pg, identical_window=0.0) as (a, b, account):
            for n in range(5):
                command = SendCommand(to=TO, text=f"Order {n}", client_ref=f"order-{n}")
                outcomes = await asyncio.gather(
                    a.gateway.accept(account, [command]),
                    b.gateway.accept(account, [command]),
                    return_exceptions=True,
                )
                found = [code_of(o) for o in outcomes]
                assert sorted(found) == ["accepted", "duplicate"], outcomes
            rows = await pg.fetch("SELECT count(*) FROM messages WHERE client_ref LIKE 'order-%'")
            assert rows == [(5,)]

    asyncio.run(asyncio.wait_for(body(), 30))


def test_an_opt_out_on_one_node_blocks_sending_on_the_other_within_seconds(
    pg: StoreBackend,
) -> None:
    async def body() -> None:
        async with two_nodes(pg) as (a, b, account):
            await a.gateway.inbound_desk.set_opt_out(account.id, TO.lstrip("+"), active=True)
            start = time.monotonic()
            while True:
                command = SendCommand(to=TO, text=f"Try {time.monotonic()}")
                (result,) = await b.gateway.accept(account, [command])
                if isinstance(result, GatewayError):
                    assert result.code == "opted_out"
                    break
                assert time.monotonic() - start < 2.0, "the opt-out did not reach the node"
                await asyncio.sleep(0.05)

    asyncio.run(asyncio.wait_for(body(), 30))


def test_an_accounts_rate_holds_across_nodes_with_slices_from_the_store(
    pg: StoreBackend,
) -> None:
    rate, seconds = 20.0, 1.5

    async def flood(gateway: Gateway, account: Account, until: float) -> int:
        """Send one message at a time until `until`; how many were let in."""
        accepted = 0
        while time.monotonic() < until:
            try:
                await gateway.accept(account, [SendCommand(to=TO, text="Hi")])
                accepted += 1
            except GatewayError as error:
                assert error.code == "throttled"
            await asyncio.sleep(0.002)
        return accepted

    async def body() -> None:
        async with two_nodes(pg, rate=rate, identical_window=0.0) as (a, b, account):
            until = time.monotonic() + seconds
            counts = await asyncio.gather(
                flood(a.gateway, account, until), flood(b.gateway, account, until)
            )
            # one second's burst, the rate over the time, one slice (0.1 s) per node at most;
            # a bucket per node would have let in twice as many
            limit = rate + rate * seconds + 2 * rate * 0.1
            assert rate * seconds <= sum(counts) <= limit, counts
            assert min(counts) > 0  # both nodes took their share
            for node in (a, b):
                rates = node.gateway.acceptance.shared_rates
                assert rates is not None
                # a few statements per node for the whole flood, not one per message
                assert rates.grants <= 2 * seconds / rates.slice + 4, rates.grants

    asyncio.run(asyncio.wait_for(body(), 30))


def mo_part(seqnum: int, text: str, reference: int = 7, total: int = 3) -> InboundPart:
    return InboundPart("819011112222", "8190", 0, text.encode(), Concat(reference, total, seqnum))


def test_an_mo_whose_parts_come_to_two_nodes_is_stored_once(pg: StoreBackend) -> None:
    async def body() -> None:
        async with two_nodes(pg) as (a, b, _):
            desk_a, desk_b = a.gateway.inbound_desk, b.gateway.inbound_desk
            # one after the other: the node storing the last part makes the message
            await desk_a.receive("m", mo_part(1, "one "))
            await desk_b.receive("m", mo_part(2, "two "))
            await desk_a.receive("m", mo_part(3, "three"))
            # the last two at once, one on each node: one of them makes it
            await desk_a.receive("m", mo_part(1, "uno ", reference=8))
            await asyncio.gather(
                desk_a.receive("m", mo_part(2, "dos ", reference=8)),
                desk_b.receive("m", mo_part(3, "tres", reference=8)),
            )
            rows = await pg.fetch(
                "SELECT reference, text, complete FROM inbound ORDER BY reference"
            )
            assert rows == [(7, "one two three", True), (8, "uno dos tres", True)]
            assert await pg.fetch("SELECT count(*) FROM inbound_segments") == [(0,)]
            made = desk_a.counts["messages"] + desk_b.counts["messages"]
            assert made == 2

    asyncio.run(asyncio.wait_for(body(), 30))


def test_an_mo_never_completed_is_stored_partial_once_with_every_nodes_parts(
    pg: StoreBackend,
) -> None:
    async def body() -> None:
        async with two_nodes(pg, mo_reassembly_timeout=0.2) as (a, b, _):
            desk_a, desk_b = a.gateway.inbound_desk, b.gateway.inbound_desk
            await desk_a.receive("m", mo_part(1, "one "))
            await desk_b.receive("m", mo_part(3, "three"))
            await asyncio.sleep(0.3)
            await asyncio.gather(desk_a.flush_expired(), desk_b.flush_expired())
            rows = await pg.fetch("SELECT text, complete FROM inbound")
            assert len(rows) == 1 and rows[0][1] is False, rows
            assert "one" in rows[0][0] and "three" in rows[0][0]
            assert await pg.fetch("SELECT count(*) FROM inbound_segments") == [(0,)]

    asyncio.run(asyncio.wait_for(body(), 30))


def test_a_request_past_its_window_is_accepted_again_and_its_row_purged(
    pg: StoreBackend,
) -> None:
    async def body() -> None:
        async with two_nodes(pg) as (a, b, account):
            account.dedup_window = 0.3
            hello = SendCommand(to=TO, text="Hello")
            assert codes(await a.gateway.accept(account, [hello])) == ["accepted"]
            await asyncio.sleep(0.4)
            # b's memory never saw it, and the store's row has expired: accepted
            assert codes(await b.gateway.accept(account, [hello])) == ["accepted"]
            await asyncio.sleep(0.4)
            assert await a.gateway.identical_purge.run_once() == 1
            assert await pg.fetch("SELECT count(*) FROM identical_requests") == [(0,)]

    asyncio.run(asyncio.wait_for(body(), 30))
