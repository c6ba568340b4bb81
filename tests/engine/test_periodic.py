"""`PeriodicJob`: a pass the store cannot serve (busy, closing, the database away) is logged and
the next pass runs; any other error ends the job and comes out of `stop`."""

import asyncio

import pytest

from smsgate.engine.periodic import PeriodicJob
from smsgate.store import StoreBusyError


class Flaky(PeriodicJob):
    def __init__(self, errors: list[Exception]) -> None:
        super().__init__(0.001)
        self.errors = errors
        self.passes = 0

    async def run_once(self) -> int:
        self.passes += 1
        if self.errors:
            raise self.errors.pop(0)
        return 0


def test_passes_the_store_could_not_serve_are_tried_again() -> None:
    async def main() -> int:
        job = Flaky([ConnectionRefusedError("database away"), StoreBusyError("queue full")])
        job.start()
        while job.passes < 3:
            await asyncio.sleep(0.001)
        await job.stop()
        return job.passes

    assert asyncio.run(main()) >= 3


def test_a_bug_ends_the_job_and_stop_raises_it() -> None:
    async def main() -> None:
        job = Flaky([ValueError("a bug")])
        job.start()
        while job.passes < 1:
            await asyncio.sleep(0.001)
        await job.stop()

    with pytest.raises(ValueError, match="a bug"):
        asyncio.run(main())
