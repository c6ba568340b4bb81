"""How a batch of writes becomes one transaction's statements (no database needed)."""

import asyncio
from collections import deque

from smsgate.domain.inbound import InboundMessage
from smsgate.domain.status import Status
from smsgate.store import MessageUpdate, PartUpdate
from smsgate.store.batch import PendingWrite, plan_writes, take_batch
from tests.store.factories import new_message


def test_updates_of_one_row_fold_into_one_later_fields_winning() -> None:
    message = new_message(parts=2)
    plan = plan_writes(
        [
            [message],
            [PartUpdate(message.id, 1, Status.SENDING, 1.0, connector_id="c1", attempts=1)],
            [
                PartUpdate(message.id, 1, Status.SENT, 2.0, upstream_id="u1", attempts=2),
                PartUpdate(message.id, 2, Status.SENDING, 2.5),
            ],
            [PartUpdate(message.id, 1, Status.SENDING, 3.0, detail="late", applied=False)],
            [MessageUpdate(message.id, Status.QUEUED, 4.0, carrier="au")],
            [MessageUpdate(message.id, Status.SENDING, 5.0, route_id="r")],
        ]
    )
    assert plan.messages == [message]
    assert plan.parts_count == 2
    assert plan.part_updates == [
        PartUpdate(message.id, 1, Status.SENT, 2.0, "u1", "c1", attempts=2),
        PartUpdate(message.id, 2, Status.SENDING, 2.5),
    ]
    assert plan.message_updates == [
        MessageUpdate(message.id, Status.SENDING, 5.0, carrier="au", route_id="r")
    ]
    assert plan.history == [
        (message.id, None, "accepted", message.created_at, "", True),
        (message.id, 1, "sending", 1.0, "", True),
        (message.id, 1, "sent", 2.0, "", True),
        (message.id, 2, "sending", 2.5, "", True),
        (message.id, 1, "sending", 3.0, "late", False),
        (message.id, None, "queued", 4.0, "", True),
        (message.id, None, "sending", 5.0, "", True),
    ]


def test_inbound_messages_have_no_history() -> None:
    inbound = InboundMessage("i1", "c1", "81901", "123", "hi", 0, b"hi", 1.0)
    plan = plan_writes([[inbound]])
    assert plan.inbound == [inbound]
    assert plan.history == []


def test_take_batch_takes_whole_writes_up_to_the_limit() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()

        def write(size: int) -> PendingWrite:
            return PendingWrite([new_message() for _ in range(size)], loop.create_future())

        queue: deque[object] = deque([write(3), write(3), write(3), "job", write(1)])
        assert [len(w.changes) for w in take_batch(queue, 7)] == [3, 3]
        assert [len(w.changes) for w in take_batch(queue, 7)] == [3]  # stops at the job
        assert queue.popleft() == "job"
        big = deque([write(10), write(1)])
        assert [len(w.changes) for w in take_batch(big, 7)] == [10]  # always at least one
        assert take_batch(deque(), 7) == []

    asyncio.run(main())
