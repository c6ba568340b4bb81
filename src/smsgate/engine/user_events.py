"""What users do on a rich channel besides receiving (RCS): their messages, taps on a
suggestion, subscriptions to a bot. Each goes to the account whose bot it was addressed to:
to its bot's webhook through the outbox, written before the channel is answered; a
subscription is kept as well (the bot's subscriber list).

The account of a bot is cached for `BOT_CACHE_TTL` seconds (a store read per event was a good
share of an event's cost): a bot moved to another account, or a webhook URL changed, in
another process or on another node, takes effect within that time."""

import logging
from typing import Any, Final

from smsgate.domain.account import Account
from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.subscribers import Subscriber
from smsgate.engine.clock import Clock
from smsgate.engine.counters import Counters
from smsgate.engine.ports import UserEvent
from smsgate.engine.transitions import Transitions
from smsgate.engine.writer import ChangeWriter, committed
from smsgate.store import Change, Store

log = logging.getLogger(__name__)

KINDS: Final = frozenset({"message", "response", "newUser"})
NEW_USER: Final = "newUser"
BOT_CACHE_TTL: Final = 5.0  # seconds a bot's account (or that it has none) is believed
_MAX_CACHED_BOTS: Final = 10_000  # past it the cache starts again


def user_event_payload(event: UserEvent, connector_id: str, at: float) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "bot": event.bot,
        "user": "+" + event.user,
        "message_id": event.message_id or None,
        "text": event.text or None,
        "rcs": event.payload,
        "connector": connector_id,
        "received_at": at,
    }


class UserEvents:
    def __init__(
        self,
        store: Store,
        writer: ChangeWriter,
        transitions: Transitions,
        counters: Counters,
        clock: Clock,
    ) -> None:
        self.store = store
        self.writer = writer
        self.transitions = transitions
        self.counters = counters
        self.clock = clock
        self._accounts: dict[str, tuple[Account | None, float]] = {}  # by bot: (account, at)

    async def account_of(self, bot: str) -> Account | None:
        """The account whose bot is `bot`, from the cache while it is fresh."""
        now = self.clock.time()
        cached = self._accounts.get(bot)
        if cached is not None and 0 <= now - cached[1] < BOT_CACHE_TTL:
            return cached[0]
        account = await self.store.account_by_bot_id(bot)
        if len(self._accounts) >= _MAX_CACHED_BOTS:
            self._accounts.clear()
        self._accounts[bot] = (account, now)
        return account

    def forget_accounts(self) -> None:
        """Drop the cached accounts: one changed elsewhere (a bot moved, an account removed)."""
        self._accounts.clear()

    async def receive(self, connector_id: str, event: UserEvent) -> None:
        """Persist what the account is owed for `event`; returns once it is committed. An
        event for a bot no account has is logged and dropped (nobody could be told)."""
        counts = self.counters.user_events
        counts[event.kind] = counts.get(event.kind, 0) + 1
        if event.kind not in KINDS:
            log.warning("%s: user event of unknown kind %r dropped", connector_id, event.kind)
            return
        account = await self.account_of(event.bot)
        if account is None:
            log.warning("%s: %s for unknown bot %r dropped", connector_id, event.kind, event.bot)
            return
        now = self.clock.time()
        changes: list[Change] = []
        if event.kind == NEW_USER:
            changes.append(Subscriber(account.id, event.user, now))
        owed: list[OutboxItem] = []
        url = account.rcs_webhook_url or account.inbound_url
        if url:
            owed.append(
                OutboxItem(
                    id=new_id(),
                    channel="http",
                    account_id=account.id,
                    subject_id=event.message_id or new_id(),
                    event=event.kind,
                    payload=user_event_payload(event, connector_id, now),
                    created_at=now,
                    next_attempt_at=now,
                    url=url,
                )
            )
        if not changes and not owed:
            return
        await committed(self.writer.add([*changes, *owed]))
        self.transitions.announce(owed)
