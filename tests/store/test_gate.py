"""The write queue's back-pressure gate (no database needed)."""

import asyncio

import pytest

from smsgate.store.errors import StoreBusyError
from smsgate.store.gate import WriteGate

TIMEOUT = 5.0


def run(test: "asyncio.Future[None] | object") -> None:
    asyncio.run(asyncio.wait_for(test, TIMEOUT))  # type: ignore[arg-type]


def test_room_is_taken_and_given_back() -> None:
    async def main() -> None:
        gate = WriteGate(10, wait=1.0)
        await gate.enter(6)
        await gate.enter(4)
        assert gate.used == 10
        gate.leave(4)
        await gate.enter(3)
        assert gate.used == 9
        with pytest.raises(ValueError, match="exceeds the queue limit"):
            await gate.enter(11)

    run(main())


def test_waiters_are_admitted_in_arrival_order() -> None:
    async def main() -> None:
        gate = WriteGate(10, wait=TIMEOUT)
        await gate.enter(10)
        order: list[str] = []

        async def enter(name: str, size: int) -> None:
            await gate.enter(size)
            order.append(name)

        big = asyncio.create_task(enter("big", 8))
        await asyncio.sleep(0)
        small = asyncio.create_task(enter("small", 1))
        await asyncio.sleep(0)
        gate.leave(2)  # room for the small one, but the big one came first
        await asyncio.sleep(0)
        assert order == []
        gate.leave(8)
        await asyncio.gather(big, small)
        assert order == ["big", "small"]
        assert gate.used == 9

    run(main())


def test_a_waiter_gives_up_after_its_wait() -> None:
    async def main() -> None:
        gate = WriteGate(2, wait=0.05)
        await gate.enter(2)
        with pytest.raises(StoreBusyError, match="stayed full"):
            await gate.enter(1)
        assert gate.used == 2
        gate.leave(2)
        await gate.enter(2)  # the one that gave up holds nothing
        assert gate.used == 2

    run(main())


def test_a_cancelled_waiter_holds_no_room() -> None:
    async def main() -> None:
        gate = WriteGate(2, wait=TIMEOUT)
        await gate.enter(2)
        blocked = asyncio.create_task(gate.enter(2))
        behind = asyncio.create_task(gate.enter(1))
        await asyncio.sleep(0)
        blocked.cancel()
        with pytest.raises(asyncio.CancelledError):
            await blocked
        gate.leave(1)
        await behind  # no longer stuck behind the cancelled one
        assert gate.used == 2

    run(main())
