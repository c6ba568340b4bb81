"""Two nodes on one PostgreSQL schema share what must hold for the whole service: the
identical-request window, client_ref uniqueness, opt-outs and MO reassembly."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.engine.commands import SendCommand
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
