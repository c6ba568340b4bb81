"""The parts waiting for a bind, and the connector's counters."""

import asyncio
from collections import deque
from dataclasses import dataclass

from smsgate.engine.ports import OutboundPart
from smsgate.smpp.pdu import SubmitSm


@dataclass(slots=True)
class Job:
    """A part on its way through the connector."""

    part: OutboundPart
    pdu: SubmitSm | None = None  # built at the first send, re-used by retries
    attempts: int = 0  # sends answered other than "throttled" (or never answered)
    throttled: int = 0
    # A previous send may have been accepted: its answer was lost with the link or timed out.
    uncertain: bool = False
    sent_at: float = 0.0


@dataclass(slots=True)
class ConnectorStats:
    submitted: int = 0  # submit_sm_resp with status 0
    failed: int = 0  # parts given up (failed event)
    throttled: int = 0  # ESME_RTHROTTLED / ESME_RMSGQFUL answers
    retried: int = 0  # parts put back after a temporary error, a timeout or a lost link
    resubmitted: int = 0  # sends of a part whose earlier send may have been accepted
    timeouts: int = 0  # submit_sm without a response in time
    requeued_on_loss: int = 0  # parts in flight on a link that went down
    binds: int = 0  # successful binds, first ones included
    bind_failures: int = 0  # connects or binds that did not succeed
    links_lost: int = 0  # bound connections that closed without our asking
    receipts: int = 0  # receipts the engine took
    inbound: int = 0  # MO messages the engine took
    inbound_refused: int = 0  # deliver_sm/data_sm answered ESME_RX_T_APPN


class PartQueue:
    """FIFO of jobs with a capacity for new parts. Parts coming back (throttled, retried, or
    re-queued from a lost link) go to the front and are always taken: they were accepted
    once, and there are never more of them than the binds' windows."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._jobs: deque[Job] = deque()
        self._nonempty = asyncio.Event()

    def __len__(self) -> int:
        return len(self._jobs)

    def offer(self, job: Job) -> bool:
        if len(self._jobs) >= self.capacity:
            return False
        self._jobs.append(job)
        self._nonempty.set()
        return True

    def put_back(self, job: Job) -> None:
        self._jobs.appendleft(job)
        self._nonempty.set()

    def take(self) -> Job:
        """The next job; IndexError when there is none."""
        return self._jobs.popleft()

    async def wait(self) -> None:
        """Until there is a job."""
        while not self._jobs:
            self._nonempty.clear()
            await self._nonempty.wait()

    def take_all(self) -> list[Job]:
        jobs = list(self._jobs)
        self._jobs.clear()
        return jobs


__all__ = ["ConnectorStats", "Job", "PartQueue"]
