"""The retention job: deletes messages older than their account's retention, with their history,
parts and settled callbacks, so statuses are kept as long as promised and no longer; and the
account's MO (inbound) messages received before then, with their settled webhook calls.

An account's `retention` (seconds) says how long; an account with a KDDI Message Cast bot and
no retention of its own keeps statuses 31 days, as that platform does. Only messages in a final
status are deleted. Several nodes may run the job at once: a delete finds nothing to do twice.
"""

import logging
from typing import Final

from smsgate.domain.account import Account
from smsgate.engine.clock import Clock
from smsgate.engine.periodic import PeriodicJob
from smsgate.store import Store

log = logging.getLogger(__name__)

BOT_RETENTION: Final = 31 * 86_400.0
DEFAULT_INTERVAL: Final = 3600.0  # seconds between runs


def retention_of(account: Account) -> float | None:
    """Seconds the account's messages are kept, or None (until an operator deletes them)."""
    if account.retention is not None:
        return account.retention if account.retention > 0 else None
    return BOT_RETENTION if account.bot_id else None


class RetentionJob(PeriodicJob):
    name = "smsgate-retention"

    def __init__(self, store: Store, clock: Clock, interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__(interval)
        self.store = store
        self.clock = clock
        self.deleted = 0  # messages deleted since start
        self.deleted_inbound = 0  # MO messages deleted since start

    async def run_once(self) -> int:
        """One pass over every account; returns how many messages and MO it deleted."""
        now = self.clock.time()
        deleted = inbound = 0
        for account in await self.store.list_accounts():
            keep = retention_of(account)
            if keep is not None:
                deleted += await self.store.purge_messages(account.id, now - keep)
                inbound += await self.store.purge_inbound(account.id, now - keep)
        self.deleted += deleted
        self.deleted_inbound += inbound
        if deleted or inbound:
            log.info("retention: deleted %d messages and %d MO", deleted, inbound)
        return deleted + inbound
