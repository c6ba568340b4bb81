"""A message's life after acceptance, as its account steers it: cancel (one message or a
campaign's tag), replace, redact its text, delete it once final.

Cancel and replace act only while no part has reached a carrier; from the check to the write
nothing awaits, so the dispatcher cannot take the message in between.
"""

import asyncio
from collections.abc import Iterator
from functools import partial

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.status import FINAL, Status
from smsgate.domain.storable_text import check_fields, check_lookup
from smsgate.engine.billing import Billing
from smsgate.engine.clock import Clock
from smsgate.engine.commands import ReplaceCommand
from smsgate.engine.config import EngineConfig
from smsgate.engine.dispatcher import Dispatcher
from smsgate.engine.live import LiveMessages
from smsgate.engine.queries import Queries
from smsgate.engine.replacement import encode_replacement, price_change, replaced, snapshot
from smsgate.engine.transitions import Transitions, settle_refund
from smsgate.engine.writer import ChangeWriter
from smsgate.store import MessageReplaced, Store


class Lifecycle:
    def __init__(
        self,
        store: Store,
        queries: Queries,
        *,
        live: LiveMessages,
        queue: Dispatcher,
        writer: ChangeWriter,
        transitions: Transitions,
        billing: Billing,
        clock: Clock,
        config: EngineConfig,
        references: Iterator[int],
    ) -> None:
        self.store = store
        self.queries = queries
        self.live = live
        self.queue = queue
        self.writer = writer
        self.transitions = transitions
        self.billing = billing
        self.clock = clock
        self.config = config
        self.references = references

    # -- cancel --------------------------------------------------------------------------------

    async def cancel(self, account: Account, message_id: str) -> Message:
        """Cancel a scheduled or queued message of `account`; returns it once the cancel is
        committed. GatewayError("not_found"), or ("not_cancelable") once any part reached a
        carrier or the message is final. Canceling a canceled message answers it again."""
        message = await self._own_message(account, message_id)
        written = self._cancel_now(message)
        if written is not None:
            await written
        return message

    async def cancel_tag(self, account: Account, tag: str) -> tuple[int, int]:
        """Cancel every scheduled or queued message of `account` with this tag (a campaign);
        returns once the cancels are committed: (canceled, already at the carrier)."""
        check_lookup([("tag", tag)])
        canceled = refused = 0
        for status in (Status.SCHEDULED, Status.QUEUED):
            cursor: str | None = None
            while True:
                page, cursor = await self.store.list_messages(
                    account.id, status=status, tag=tag, limit=1000, cursor=cursor
                )
                writes = []
                for stored in page:
                    try:
                        written = self._cancel_now(self.live.get(stored.id) or stored)
                    except GatewayError:
                        refused += 1
                        continue
                    if written is not None:
                        writes.append(written)
                await asyncio.gather(*writes)
                canceled += len(writes)
                if cursor is None:
                    break
        return canceled, refused

    async def _own_message(self, account: Account, message_id: str) -> Message:
        """One of `account`'s messages, the copy in memory if any (the one the dispatcher acts
        on); GatewayError("not_found")."""
        check_lookup([("message_id", message_id)])
        message = self.live.get(message_id)
        if message is None or message.account_id != account.id:
            message = await self.store.get_message(message_id, account.id)
            if message is None:
                raise GatewayError("not_found")
            message = self.live.get(message_id) or message
        return message

    @staticmethod
    def _check_unsent(message: Message) -> None:
        """GatewayError("not_cancelable") once the message is final or a part left for a
        carrier: from then on it can be neither canceled nor replaced."""
        if message.status in FINAL:
            raise GatewayError("not_cancelable", f"the message is already {message.status.value}")
        if any(
            p.status not in (Status.SCHEDULED, Status.QUEUED, Status.ACCEPTED)
            for p in message.parts
        ):
            raise GatewayError("not_cancelable", "a part is already at the carrier")

    def _cancel_now(self, message: Message) -> "asyncio.Future[None] | None":
        """Cancel a message not yet at a carrier: the write's future (None if it is canceled
        already), or GatewayError("not_cancelable")."""
        if message.status is Status.CANCELED:
            return None
        self._check_unsent(message)
        self.queue.remove_scheduled(message.id)  # a queued one is skipped when popped
        self.live.remember(message)
        return self.transitions.finish_unsent(
            message, Status.CANCELED, "canceled", "", self.clock.time()
        )

    # -- replace -------------------------------------------------------------------------------

    async def replace(self, account: Account, message_id: str, command: ReplaceCommand) -> Message:
        """Replace the text (encoded and split again), schedule, validity or receipt request
        of a scheduled or queued message of `account`; returns it as it is now, once the
        change and its history line are committed. GatewayError("not_found"),
        ("not_cancelable") once a part reached a carrier or the message is final, or what
        accepting the new text or times would refuse."""
        message = await self._own_message(account, message_id)
        check_fields([("text", command.text)])
        # from here to the write nothing awaits: the dispatcher cannot take the message between
        self._check_unsent(message)
        now = self.clock.time()
        encoded = encode_replacement(
            command, message.udh, next(self.references), self.config.max_segments
        )
        new = replaced(
            message,
            command,
            encoded,
            now,
            max_validity=self.config.max_validity,
            max_schedule_ahead=self.config.max_schedule_ahead,
        )
        balances = self.billing.balances
        charge = price_change(balances, message, new, now)
        # the store gets a copy: the dispatcher may send the message before the write runs
        stored = MessageReplaced(snapshot(new), now)
        written = self.writer.add([stored, *([charge] if charge else [])])
        if charge is not None:
            written.add_done_callback(partial(settle_refund, balances, charge))
        self.live.remember(new)
        # a queued entry left in the ready queue is skipped while the message waits for its time
        if self.queue.remove_scheduled(new.id) or new.status is Status.SCHEDULED:
            self.queue.push(new.id, new.priority, new.scheduled_at)
        await written
        return new

    # -- redact and delete ----------------------------------------------------------------------

    async def set_text(self, account: Account, message_id: str, text: str) -> Message:
        """Replace the stored text of one of `account`'s messages (to redact it; what was sent
        stays sent); returns the message as stored now."""
        check_lookup([("message_id", message_id)])
        check_fields([("text", text)])
        if not await self.store.set_message_text(message_id, account.id, text, self.clock.time()):
            raise GatewayError("not_found")
        live = self.live.get(message_id)
        if live is not None:
            live.text, live.comment = text, None  # later receipts must not quote the old text
        return await self.queries.message(account.id, message_id)

    async def delete(self, account: Account, message_id: str) -> None:
        """Delete one of `account`'s messages once it is final (not_deletable before)."""
        message = await self.queries.message(account.id, message_id)
        if message.status not in FINAL:
            raise GatewayError("not_deletable", f"the message is {message.status.value}")
        self.live.forget(message_id)
        if not await self.store.delete_message(message_id, account.id):
            raise GatewayError("not_found")
