"""A job the engine runs every `interval` seconds until stopped (retention, receipt timeouts):
one pass at start, then one per interval; a pass the store cannot serve now is logged and the
next one tries again."""

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from smsgate.store import StoreError, unreachable

log = logging.getLogger(__name__)


class PeriodicJob(ABC):
    name = "smsgate-job"  # the task's name, and what a failed pass is logged as

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.passed = asyncio.Event()  # set after each pass of the running job
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def run_once(self) -> int:
        """One pass; how many things it did."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception as error:
                if not (isinstance(error, StoreError) or unreachable(error)):
                    raise
                # the store is busy, closing or away a moment: the next pass tries again
                log.exception("%s: a pass failed", self.name)
            self.passed.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
