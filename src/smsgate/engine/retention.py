"""The retention job: deletes messages older than their account's retention, with their history,
parts and settled callbacks, so statuses are kept as long as promised and no longer.

An account's `retention` (seconds) says how long; an account with a KDDI Message Cast bot and
no retention of its own keeps statuses 31 days, as that platform does. Only messages in a final
status are deleted. Several nodes may run the job at once: a delete finds nothing to do twice.
"""

import asyncio
import contextlib
import logging
from typing import Final

from smsgate.domain.account import Account
from smsgate.engine.clock import Clock
from smsgate.store import Store, StoreError

log = logging.getLogger(__name__)

BOT_RETENTION: Final = 31 * 86_400.0
DEFAULT_INTERVAL: Final = 3600.0  # seconds between runs


def retention_of(account: Account) -> float | None:
    """Seconds the account's messages are kept, or None (until an operator deletes them)."""
    if account.retention is not None:
        return account.retention if account.retention > 0 else None
    return BOT_RETENTION if account.bot_id else None


class RetentionJob:
    def __init__(self, store: Store, clock: Clock, interval: float = DEFAULT_INTERVAL) -> None:
        self.store = store
        self.clock = clock
        self.interval = interval
        self.deleted = 0  # messages deleted since start
        self.passed = asyncio.Event()  # set after each pass of the running job
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """One pass over every account; returns how many messages it deleted."""
        now = self.clock.time()
        deleted = 0
        for account in await self.store.list_accounts():
            keep = retention_of(account)
            if keep is not None:
                deleted += await self.store.purge_messages(account.id, now - keep)
        self.deleted += deleted
        if deleted:
            log.info("retention: deleted %d messages", deleted)
        return deleted

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="smsgate-retention")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except StoreError:  # the store is busy or closing: the next pass tries again
                log.exception("retention pass failed")
            self.passed.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
