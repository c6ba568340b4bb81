import asyncio

from smsgate.domain.message import Priority
from smsgate.engine.dispatcher import Dispatcher


def test_urgent_overtakes_a_queued_bulk_campaign() -> None:
    async def scenario() -> None:
        queue = Dispatcher()
        for i in range(1000):
            queue.push(f"bulk{i}", Priority.BULK)
        queue.push("urgent", Priority.URGENT)
        queue.push("normal", Priority.NORMAL)
        assert [queue.pop(), queue.pop(), queue.pop(), queue.pop()] == [
            "urgent",
            "normal",
            "bulk0",
            "bulk1",
        ]

    asyncio.run(scenario())


def test_scheduled_messages_wait_for_their_time() -> None:
    async def scenario() -> None:
        queue = Dispatcher()
        queue.push("later", Priority.NORMAL, due=100.0)
        queue.push("soon", Priority.NORMAL, due=50.0)
        assert queue.pop() is None and queue.next_due() == 50.0
        assert queue.release_due(49.9) == 0
        assert queue.release_due(50.0) == 1 and queue.pop() == "soon"
        assert queue.remove_scheduled("later") and len(queue) == 0

    asyncio.run(scenario())


def test_capacity_and_requeue_order() -> None:
    async def scenario() -> None:
        queue = Dispatcher(capacity=3)
        queue.push("a", 1)
        queue.push("b", 1)
        assert queue.has_room(1) and not queue.has_room(2)
        queue.push_front("c", 1)
        assert [queue.pop(), queue.pop(), queue.pop()] == ["c", "a", "b"]

    asyncio.run(scenario())


def test_wait_wakes_on_push() -> None:
    async def scenario() -> None:
        queue = Dispatcher()
        loop = asyncio.get_running_loop()
        loop.call_soon(queue.push, "x", 1)
        await asyncio.wait_for(queue.wait(timeout=None), 5)
        assert queue.pop() == "x"
        await queue.wait(timeout=0.01)  # times out quietly when nothing comes

    asyncio.run(scenario())
