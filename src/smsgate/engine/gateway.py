"""The engine: accepts messages, keeps them moving towards a carrier, and applies what comes back.

accept -> (persist) -> dispatcher -> route -> connector -> submitted/failed -> receipt. Every
change goes to the store through the ChangeWriter; the in-memory state (`live`, the dispatcher,
the upstream-id index) is a cache that `start()` rebuilds from the store.
"""

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache, partial
from typing import Final, Protocol

from smsgate.callbacks.urls import DenyList, check_url
from smsgate.connectors.part import OutboundPart, PartKey
from smsgate.connectors.smpp import SmppConnector
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.message import Message, Part, Priority
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import (
    FINAL,
    Status,
    message_status,
)
from smsgate.engine.balances import Balances
from smsgate.engine.billing import Billing
from smsgate.engine.clock import Clock, SystemClock
from smsgate.engine.commands import ReplaceCommand, SendCommand
from smsgate.engine.counters import Counters
from smsgate.engine.dispatcher import Dispatcher
from smsgate.engine.identical import IdenticalWindow
from smsgate.engine.inbound import InboundDesk
from smsgate.engine.latency import LatencyWindow
from smsgate.engine.message_text import data_coding_of, encode_text, parts_of
from smsgate.engine.notify import status_item
from smsgate.engine.opt_outs import OptOutList
from smsgate.engine.rate import RateLimits
from smsgate.engine.receipts import EarlyReceipt, ReceiptMatching
from smsgate.engine.replacement import encode_replacement, price_change, replaced, snapshot
from smsgate.engine.timing import check_validity, start_of
from smsgate.engine.writer import ChangeWriter
from smsgate.smpp.constants import is_receipt, status_name
from smsgate.smpp.pdu import DataSm, DeliverSm
from smsgate.smpp.receipt import normalise_message_id
from smsgate.smpp.smpp_time import format_relative
from smsgate.store import (
    BalanceError,
    Change,
    DuplicateError,
    MessageReplaced,
    MessageUpdate,
    PartUpdate,
    Store,
    StoreBusyError,
    StoreClosedError,
)
from smsgate.store.changes import BalanceChange
from smsgate.text import (
    Sar,
)

log = logging.getLogger(__name__)

_EVICTION_SCAN: Final = 16  # oldest messages looked at per insert when memory is over its limit
_BALANCES_REFRESH: Final = 5.0  # seconds between reads of the prepaid balances (top-ups)


_PRIORITIES: Final = frozenset(p.value for p in Priority)


class Router(Protocol):
    """Destination and sender parsing, carrier determination and route selection."""

    def destination(self, value: str) -> tuple[str, str | None]:
        """(e164 digits, region) or GatewayError("invalid_destination")."""
        ...

    def source(self, value: str) -> tuple[str, int, int]:
        """(address, ton, npi) or GatewayError("invalid_source")."""
        ...

    def carrier(self, e164: str) -> str | None: ...

    def connectors(
        self, account_id: str, source: str, e164: str, region: str | None, carrier: str | None
    ) -> tuple[str, list[str]]:
        """(route id, connector ids in the order to try) or GatewayError("no_route")."""
        ...


@dataclass
class EngineConfig:
    default_sender: str = "smsgate"
    default_validity: float = 14_400.0
    max_validity: float = 14_400.0
    max_schedule_ahead: float = 30 * 86_400.0
    max_segments: int = 10
    queue_capacity: int = 100_000
    mo_reassembly_timeout: float = 300.0  # seconds before a concatenated MO is stored partial
    identical_window: float = 60.0  # seconds the same message is refused again; 0: off
    currency: str = "EUR"  # of accounts that name none (prices and balances)
    default_country: str | None = None
    live_limit: int = 200_000  # messages kept in memory (the rest is read back from the store)


class Gateway(ReceiptMatching):
    def __init__(
        self,
        store: Store,
        router: Router,
        connectors: Mapping[str, SmppConnector],
        *,
        clock: Clock | None = None,
        config: EngineConfig | None = None,
    ) -> None:
        self.store = store
        self.router = router
        self.connectors = dict(connectors)
        self.clock = clock or SystemClock()
        self.config = config or EngineConfig()
        self.dispatcher = Dispatcher(self.config.queue_capacity)
        self.writer = ChangeWriter(store)
        self.rates = RateLimits(self.clock)
        self.counters = Counters()
        self.submit_latency = LatencyWindow()
        self.live: OrderedDict[str, Message] = OrderedDict()
        # messages with a write not yet committed, and how many: memory is ahead of the store
        self._uncommitted: dict[str, int] = {}
        self.by_upstream: dict[tuple[str, str], tuple[str, int]] = {}
        self.convert_receipt_ids: set[str] = set()  # connectors whose receipts switch id base
        self._early: dict[tuple[str, str], EarlyReceipt] = {}
        self._references = itertools.count(int(time.time()) & 0xFFFF)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.ready = asyncio.Event()
        self._room = asyncio.Event()  # set when a connector has taken a part off its hands
        self._refs_in_flight: set[tuple[str, str]] = set()  # client_refs being committed
        self.identical = IdenticalWindow()
        self.billing = Billing(self.config.currency)
        self._balances_task: asyncio.Task[None] | None = None
        # called with (message, new status) once a status change is committed
        self.listeners: list[Callable[[Message, Status], None]] = []
        # called with each outbox item once it is committed (its consumer may wake up)
        self.outbox_listeners: list[Callable[[OutboxItem], None]] = []
        # callback URLs naming an address in these ranges are refused at acceptance
        self.callback_deny: DenyList | None = None
        self.opt_outs = OptOutList()
        self.inbound_desk = InboundDesk(
            store,
            self.writer,
            self.clock,
            self.opt_outs,
            normalise=lambda number: self.router.destination(number)[0],
            announce=self._announce,
            timeout=self.config.mo_reassembly_timeout,
        )

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the queue from the store, then dispatch."""
        restored = 0
        after: str | None = None
        while True:
            batch = await self.store.unfinished_messages(1000, after)
            if not batch:
                break
            for message in batch:
                self._enqueue(message)
                restored += 1
            after = batch[-1].id
        if restored:
            log.info("restored %d unfinished messages from the store", restored)
        await self.inbound_desk.start()
        await self.reload_balances()
        self._task = asyncio.create_task(self._dispatch_loop())
        self.ready.set()

    async def stop(self) -> None:
        self._stopping = True
        self.ready.clear()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.inbound_desk.stop()
        if self._balances_task is not None:
            await asyncio.wait({self._balances_task})  # a read in progress; it logs its errors
        await self.writer.drain()

    # -- accept --------------------------------------------------------------------------------

    async def accept(
        self,
        account: Account,
        commands: Sequence[SendCommand],
        record: Callable[[list[Message | GatewayError]], Change] | None = None,
    ) -> list[Message | GatewayError]:
        """Validate, persist and queue; a message is returned only once it is committed.
        `record` turns the results into a change written with the messages (the response to
        a request with an Idempotency-Key); it is called only when something is written."""
        if self._stopping or not self.ready.is_set():
            raise GatewayError("unavailable")
        now = self.clock.time()
        results: list[Message | GatewayError] = []
        accepted: list[Message] = []
        refs: list[tuple[str, str]] = []  # client_refs this call holds while it commits
        held: dict[str, tuple[int, int | None]] = {}  # message id: (micros reserved, window key)
        committed: list[Message] = []
        if now - self.billing.balances.loaded_at > _BALANCES_REFRESH:
            self._reload_balances_soon()
        try:
            for command in commands:
                try:
                    message = self._build(account, command, now)
                    if message.client_ref is not None:
                        await self._check_client_ref(account.id, message.client_ref)
                    try:
                        micros = self.billing.reserve(account, message, command.max_price)
                    except GatewayError as error:
                        micros = await self._reserve_again(account, message, command, error)
                    try:
                        key = self._check_identical(account, message, now)
                    except GatewayError:
                        self.billing.balances.settled(account.id, -micros, committed=False)
                        raise
                except GatewayError as error:
                    results.append(error)
                    self.counters.rejected += 1
                    refused = self.counters.refused
                    refused[error.code] = refused.get(error.code, 0) + 1
                    continue
                held[message.id] = (micros, key)
                results.append(message)
                accepted.append(message)
                if message.client_ref is not None:
                    refs.append((account.id, message.client_ref))
                    self._refs_in_flight.add(refs[-1])
            if accepted:
                results, accepted = await self._persist(account, results, accepted, held, record)
                committed = accepted
        finally:
            self._refs_in_flight.difference_update(refs)
            if len(committed) < len(held) or self.billing.balances.prepaid(account.id):
                self._withdraw(account, now, held, committed)
        for message in accepted:
            self._enqueue(message)
        self.counters.accepted += len(accepted)
        return results

    async def _persist(
        self,
        account: Account,
        results: list[Message | GatewayError],
        accepted: list[Message],
        held: Mapping[str, tuple[int, int | None]],
        record: Callable[[list[Message | GatewayError]], Change] | None = None,
    ) -> tuple[list[Message | GatewayError], list[Message]]:
        """Commit what the queue and the account's rate let in; (results, what was committed)."""
        if not self.dispatcher.has_room(len(accepted)):
            raise GatewayError("queue_full")
        allowed = self.rates.take_up_to(account.id, account.rate_limit, len(accepted))
        if allowed < len(accepted):
            # the messages past the account's rate are refused one by one (all of them for a
            # single message: the whole request is then refused with 429)
            over = GatewayError("throttled", f"{account.rate_limit:g} messages per second")
            counts = self.counters.refused
            counts["throttled"] = counts.get("throttled", 0) + len(accepted) - allowed
            if not allowed:
                raise over
            refused = {id(m) for m in accepted[allowed:]}
            accepted = accepted[:allowed]
            results = [over if id(r) in refused else r for r in results]
            self.counters.rejected += len(refused)
        owed = [
            item for m in accepted if (item := status_item(m, m.status, m.created_at)) is not None
        ]
        extra: list[Change] = list(owed)
        if charged := sum(held[m.id][0] for m in accepted):
            extra.append(BalanceChange(account.id, -charged, accepted[0].created_at))
        if record is not None:
            extra.append(record(results))
        try:
            await self.writer.add([*accepted, *extra] if extra else accepted)
        except BalanceError:  # another node (or a stale balance here) took the money first
            self._reload_balances_soon()
            raise GatewayError("insufficient_balance") from None
        except DuplicateError as error:  # a client_ref raced past the check
            raise GatewayError("duplicate", str(error)) from None
        except StoreBusyError:
            raise GatewayError("queue_full", "the store is busy") from None
        except StoreClosedError:
            raise GatewayError("unavailable") from None
        self._announce(owed)
        return results, accepted

    def _withdraw(
        self,
        account: Account,
        now: float,
        held: Mapping[str, tuple[int, int | None]],
        committed: Sequence[Message],
    ) -> None:
        """Settle the reservations of an accept call: committed ones are final, the others
        (refused past the rate, or the write failed) give their money and window place back."""
        kept = {m.id for m in committed}
        balances = self.billing.balances
        for message_id, (micros, key) in held.items():
            done = message_id in kept
            if micros:
                balances.settled(account.id, -micros, committed=done)
            if key is not None and not done:
                self.identical.forget(key, now)

    async def _reserve_again(
        self, account: Account, message: Message, command: SendCommand, error: GatewayError
    ) -> int:
        """After a short balance, read the balances from the store again (a top-up by another
        process), at most once a second, and try once more."""
        if error.code != "insufficient_balance" or not await self.reload_balances(1.0):
            raise error
        return self.billing.reserve(account, message, command.max_price)

    def _check_identical(self, account: Account, message: Message, now: float) -> int | None:
        """Refuse the same source, destination and text within the account's window; the
        window key of a message let in (to withdraw it if the message is not committed)."""
        window = self.config.identical_window
        if account.dedup_window is not None:
            window = account.dedup_window
        if window <= 0 or message.status is Status.FAILED:
            return None
        key = IdenticalWindow.key(account.id, message.source, message.destination, message.text)
        earlier = self.identical.admit(key, now, window)
        if earlier is not None:
            raise GatewayError(
                "identical", f"accepted {now - earlier:.0f} s ago; the window is {window:g} s"
            )
        return key

    async def reload_balances(self, unless_within: float = 0.0) -> bool:
        """Read the prepaid balances from the store again; False if that was done less than
        `unless_within` seconds ago."""
        now = self.clock.time()
        if now - self.billing.balances.loaded_at < unless_within:
            return False
        self.billing.balances.load(await self.store.balances(), now)
        return True

    def _reload_balances_soon(self) -> None:
        if self._balances_task is None or self._balances_task.done():
            self._balances_task = asyncio.create_task(self._reload_balances_logged())

    async def _reload_balances_logged(self) -> None:
        try:
            await self.reload_balances()
        except Exception as error:  # the store is closing or unreachable: next time, then
            log.warning("prepaid balances not read again: %s", error)

    async def _check_client_ref(self, account_id: str, client_ref: str) -> None:
        """A client_ref names one message per account: sending it again is a duplicate."""
        if (account_id, client_ref) in self._refs_in_flight:
            raise GatewayError("duplicate", f"client_ref {client_ref!r} is being accepted")
        existing = await self.store.message_by_client_ref(account_id, client_ref)
        if existing is not None:
            raise GatewayError("duplicate", f"client_ref {client_ref!r} is message {existing.id}")

    def preview(self, account: Account, command: SendCommand) -> Message:
        """The message `accept` would build for `command` (its parts, route and price),
        neither persisted nor queued: for APIs that quote a price without sending.
        GatewayError where `accept` would refuse the command at once."""
        return self._build(account, command, self.clock.time())

    def _build(self, account: Account, command: SendCommand, now: float) -> Message:
        # destinations are kept and sent as international E.164 (ton 1, npi 1)
        e164, region = self.router.destination(command.to)
        if self.opt_outs.blocked(account.id, e164):
            raise GatewayError("opted_out", f"+{e164} sent an opt-out keyword to this account")
        source, source_ton, source_npi = self.router.source(
            command.sender or self.config.default_sender
        )
        text, comment, encoded = encode_text(
            command.text,
            command.encoding,
            next(self._references),
            self.config.max_segments,
            command.udh,
        )
        validity = check_validity(
            command.validity if command.validity is not None else self.config.default_validity,
            self.config.max_validity,
        )
        scheduled = start_of(command.scheduled_at, now, self.config.max_schedule_ahead)
        if command.callback_url is not None:
            check_url(command.callback_url, self.callback_deny)
        if command.priority not in _PRIORITIES:
            raise GatewayError("invalid_priority", "0 (bulk) to 3 (urgent)")
        carrier = command.carrier or self.router.carrier(e164)
        route_id, _ = self.router.connectors(account.id, source, e164, region, carrier)
        quote = self.billing.quote(account, route_id, region, carrier, encoded.segments)
        start = scheduled or now
        message_id = new_id()
        message = Message(
            id=message_id,
            account_id=account.id,
            source=source,
            source_ton=source_ton,
            source_npi=source_npi,
            destination=e164,
            text=text,
            comment=comment,
            encoding=encoded.encoding.value,
            data_coding=data_coding_of(encoded, command.data_coding),
            segments=encoded.segments,
            created_at=now,
            updated_at=now,
            valid_until=start + validity,
            priority=Priority(command.priority),
            status=Status.SCHEDULED if scheduled else Status.QUEUED,
            client_ref=command.client_ref,
            callback_url=command.callback_url or account.callback_url,
            scheduled_at=scheduled,
            carrier=carrier,
            route_id=route_id,
            registered_delivery=command.registered_delivery,
            receipt_only=command.receipt_only,
            udh=command.udh,
            origin=command.origin,
            tag=command.tag,
            price=None if quote is None else quote[0],
            price_unit=None if quote is None else quote[1],
        )
        message.parts = parts_of(message_id, encoded, message.status)
        return message

    def _enqueue(self, message: Message) -> None:
        self._remember(message)
        due = message.scheduled_at if message.status is Status.SCHEDULED else None
        self.dispatcher.push(message.id, message.priority, due)

    def _remember(self, message: Message) -> None:
        live = self.live
        live[message.id] = message
        live.move_to_end(message.id)
        # Over the limit, the oldest messages go, except those with a submit_sm in flight (its
        # answer is applied to the message in memory) or a change not yet committed (the store
        # is behind): they move to the back. A message that waits for its receipt or its turn
        # is read back from the store when it is needed.
        for _ in range(_EVICTION_SCAN):
            if len(live) <= self.config.live_limit:
                break
            old_id, old = next(iter(live.items()))
            if old is message:
                break  # everything older stays for now: never the one just remembered
            if old.status is Status.SENDING or old_id in self._uncommitted:
                live.move_to_end(old_id)
            else:
                del live[old_id]

    # -- reads ---------------------------------------------------------------------------------

    async def message(self, account_id: str, message_id: str) -> Message:
        message = await self.store.get_message(message_id, account_id)
        if message is None:
            raise GatewayError("not_found")
        return message

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
                        written = self._cancel_now(self.live.get(stored.id, stored))
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
        message = self.live.get(message_id)
        if message is None or message.account_id != account.id:
            message = await self.store.get_message(message_id, account.id)
            if message is None:
                raise GatewayError("not_found")
            message = self.live.get(message_id, message)
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
        self.dispatcher.remove_scheduled(message.id)  # a queued one is skipped when popped
        self._remember(message)
        return self._finish_unsent(message, Status.CANCELED, "canceled", "", self.clock.time())

    # -- replace -------------------------------------------------------------------------------

    async def replace(self, account: Account, message_id: str, command: ReplaceCommand) -> Message:
        """Replace the text (encoded and split again), schedule, validity or receipt request
        of a scheduled or queued message of `account`; returns it as it is now, once the
        change and its history line are committed. GatewayError("not_found"),
        ("not_cancelable") once a part reached a carrier or the message is final, or what
        accepting the new text or times would refuse."""
        message = await self._own_message(account, message_id)
        # from here to the write nothing awaits: the dispatcher cannot take the message between
        self._check_unsent(message)
        now = self.clock.time()
        encoded = encode_replacement(
            command, message.udh, next(self._references), self.config.max_segments
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
            written.add_done_callback(partial(_settle_refund, balances, charge))
        self._remember(new)
        # a queued entry left in the ready queue is skipped while the message waits for its time
        if self.dispatcher.remove_scheduled(new.id) or new.status is Status.SCHEDULED:
            self.dispatcher.push(new.id, new.priority, new.scheduled_at)
        await written
        return new

    # -- redact and delete ----------------------------------------------------------------------

    async def set_text(self, account: Account, message_id: str, text: str) -> Message:
        """Replace the stored text of one of `account`'s messages (to redact it; what was sent
        stays sent); returns the message as stored now."""
        if not await self.store.set_message_text(message_id, account.id, text, self.clock.time()):
            raise GatewayError("not_found")
        live = self.live.get(message_id)
        if live is not None:
            live.text, live.comment = text, None  # later receipts must not quote the old text
        return await self.message(account.id, message_id)

    async def delete(self, account: Account, message_id: str) -> None:
        """Delete one of `account`'s messages once it is final (not_deletable before)."""
        message = await self.message(account.id, message_id)
        if message.status not in FINAL:
            raise GatewayError("not_deletable", f"the message is {message.status.value}")
        self.live.pop(message_id, None)
        if not await self.store.delete_message(message_id, account.id):
            raise GatewayError("not_found")

    # -- dispatch ------------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        while not self._stopping:
            now = self.clock.time()
            self.dispatcher.release_due(now)
            message_id = self.dispatcher.pop()
            if message_id is None:
                due = self.dispatcher.next_due()
                await self.dispatcher.wait(None if due is None else max(0.0, due - now))
                continue
            try:
                waiting = await self._dispatch(message_id, now)
            except Exception:
                log.exception("dispatching %s failed; it stays queued", message_id)
                waiting = True
                self.dispatcher.push_front(message_id, Priority.NORMAL)
            if waiting:
                # until a connector reports a part done (room in its queue) or a bind may be up
                self._room.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room.wait(), 0.05)

    async def _dispatch(self, message_id: str, now: float) -> bool:
        """Hand one message to a connector. True when it had to wait (no connector free)."""
        message = self.live.get(message_id)
        if message is None:  # left memory while it waited: its answers need it back there
            stored = await self.store.get_message(message_id)
            message = self.live.get(message_id) or stored
            if message is not None and message is stored and message.status not in FINAL:
                self._remember(message)
        if message is None or message.status in FINAL:
            return False
        if message.status is Status.SCHEDULED and (message.scheduled_at or now) > now:
            return False  # rescheduled by a replace: its entry in the scheduled queue counts
        unsent = [
            p
            for p in message.parts
            if p.status in (Status.QUEUED, Status.SCHEDULED, Status.ACCEPTED)
        ]
        if not unsent:
            return False
        if now >= message.valid_until:
            self._expire(message, now)
            return False
        if self.opt_outs.blocked(message.account_id, message.destination):
            # the recipient sent an opt-out keyword after the message was accepted
            self._finish_unsent(message, Status.REJECTED, "opted_out", "", now)
            return False
        try:
            _, candidates = self.router.connectors(
                message.account_id, message.source, message.destination, None, message.carrier
            )
        except GatewayError as error:
            self._finish_unsent(message, Status.REJECTED, error.code, error.detail, now)
            return False
        for connector_id in candidates:
            connector = self.connectors.get(connector_id)
            if connector is None or not connector.binds_up:
                continue
            # Keep the connector's own (first in, first out) queue to about one window: the
            # order between messages is decided here, by priority, so an urgent message is
            # never stuck behind a bulk campaign already handed over.
            room = max(connector.capacity, 1) - connector.queue_depth
            if room < len(unsent) and connector.queue_depth:
                continue
            for part in unsent:
                part.connector_id = connector_id
                part.status = Status.SENDING
                part.attempts += 1
                submitted = connector.submit(_outbound(message, part, now))
                assert submitted, "the queue had room for every part"
            if message.status is not Status.SENDING:
                message.status = Status.SENDING
            return False
        self.dispatcher.push_front(message.id, message.priority)
        return True

    def _expire(self, message: Message, now: float) -> None:
        self.counters.expired += 1
        self._finish_unsent(message, Status.EXPIRED, "expired", "", now)

    def _finish_unsent(
        self, message: Message, status: Status, code: str, detail: str, now: float
    ) -> "asyncio.Future[None]":
        changes: list[Change] = []
        for part in message.parts:
            if part.status not in FINAL and part.status is not Status.SENT:
                part.status = status
                part.error_code = code
                part.done_at = now
                changes.append(
                    PartUpdate(
                        message.id,
                        part.seq,
                        status,
                        now,
                        error_code=code,
                        error_detail=detail or None,
                        done_at=now,
                    )
                )
        changes += self._message_changes(message, now, code, detail)
        return self._write(message, changes)

    def _message_changes(
        self, message: Message, now: float, code: str | None = None, detail: str = ""
    ) -> list[MessageUpdate]:
        status = message_status(p.status for p in message.parts)
        if status is Status.SENDING:
            status = Status.QUEUED  # not persisted: a restart re-sends what was in flight
        if status is message.status and status is not Status.SENDING:
            return []
        message.status = status
        message.updated_at = now
        if status in FINAL and status is not Status.DELIVERED:
            worst = [p for p in message.parts if p.error_code]
            if worst and code is None:
                code, detail = worst[-1].error_code, worst[-1].error_detail or ""
            message.error_code, message.error_detail = code, detail or None
        return [
            MessageUpdate(
                message.id,
                status,
                now,
                error_code=message.error_code if status in FINAL else None,
                error_detail=message.error_detail if status in FINAL else None,
                # a single part's history line already records this transition
                record=len(message.parts) > 1,
            )
        ]

    # -- connector events ----------------------------------------------------------------------

    def submitted(self, key: PartKey, upstream_id: str, connector_id: str) -> None:
        self._room.set()
        message_id, seq = key
        message = self.live.get(message_id)
        if message is None:
            log.warning("submit_sm_resp for a message not in memory: %s", message_id)
            return
        now = self.clock.time()
        part = message.parts[seq - 1]
        normalised = normalise_message_id(upstream_id)
        self.by_upstream[(connector_id, normalised)] = key
        if part.status is Status.SENT or part.status in FINAL:
            # sent again after a lost link, and the first copy got its resp (or receipt)
            # already: keep the status, note the second id so that its receipt matches too
            detail = f"sent again as {normalised}"
            self._write(
                message,
                [PartUpdate(message_id, seq, Status.SENT, now, detail=detail, applied=False)],
            )
            early = self._early.pop((connector_id, normalised), None)
            if early is not None:
                self._apply_receipt(message, part, early.state, early.error, now)
            return
        part.upstream_id = normalised
        part.connector_id = connector_id
        part.submitted_at = now
        part.status = Status.SENT
        self.counters.submitted += 1
        self.submit_latency.add(now - message.created_at)
        changes: list[Change] = [
            PartUpdate(
                message_id,
                seq,
                Status.SENT,
                now,
                upstream_id=normalised,
                connector_id=connector_id,
                attempts=part.attempts,
                submitted_at=now,
            )
        ]
        changes += self._message_changes(message, now)
        self._write(message, changes)
        early = self._early.pop((connector_id, normalised), None)
        if early is not None:
            self._apply_receipt(message, part, early.state, early.error, now)

    def failed(self, key: PartKey, command_status: int, permanent: bool, detail: str) -> None:
        self._room.set()
        message_id, seq = key
        message = self.live.get(message_id)
        if message is None:
            return
        now = self.clock.time()
        part = message.parts[seq - 1]
        if not permanent:
            # the connector gave up for now: queue the message again
            part.status = Status.QUEUED
            self.dispatcher.push(message_id, message.priority)
            return
        self.counters.failed += 1
        part.status = Status.FAILED
        part.error_code = "carrier_rejected"
        part.error_detail = detail or status_name(command_status)
        part.done_at = now
        changes: list[Change] = [
            PartUpdate(
                message_id,
                seq,
                Status.FAILED,
                now,
                error_code=part.error_code,
                error_detail=part.error_detail,
                attempts=part.attempts,
                done_at=now,
            )
        ]
        changes += self._message_changes(message, now)
        self._write(message, changes)

    def _write(self, message: Message, changes: list[Change]) -> "asyncio.Future[None]":
        """Queue changes for the store, with what the customer is owed for a new status;
        listeners hear of the new status once it is committed."""
        updates = [c for c in changes if isinstance(c, MessageUpdate)]
        owed = [item for u in updates if (item := status_item(message, u.status, u.at)) is not None]
        refund = None
        if updates and message.price is not None:
            refund = self.billing.release(message, updates[-1].status, updates[-1].at)
            if refund is not None:
                changes = [*changes, refund]
        future = self.writer.add([*changes, *owed] if owed else changes)
        self._uncommitted[message.id] = self._uncommitted.get(message.id, 0) + 1
        status = updates[-1].status if updates and (self.listeners or owed) else None
        # one callback per write: each is a separate turn of the event loop's queue
        future.add_done_callback(partial(self._committed, message, status, owed, refund))
        return future

    def _committed(
        self,
        message: Message,
        status: Status | None,
        owed: list[OutboxItem],
        refund: BalanceChange | None,
        done: "asyncio.Future[None]",
    ) -> None:
        left = self._uncommitted.pop(message.id) - 1
        if left:
            self._uncommitted[message.id] = left
        if refund is not None:
            _settle_refund(self.billing.balances, refund, done)
        if status is not None and not done.cancelled() and done.exception() is None:
            for listener in self.listeners:
                listener(message, status)
            self._announce(owed)

    def _announce(self, items: list[OutboxItem]) -> None:
        for item in items:
            for listener in self.outbox_listeners:
                listener(item)

    async def inbound(self, connector_id: str, pdu: DeliverSm | DataSm) -> None:
        """Store an MO message (or a part of one); returns once it is persisted."""
        if is_receipt(pdu.esm_class):  # the connector routes receipts elsewhere; be sure
            raise ValueError("a receipt is not an inbound message")
        self.counters.inbound += 1
        await self.inbound_desk.receive(connector_id, pdu)


def _settle_refund(balances: Balances, refund: BalanceChange, done: "asyncio.Future[None]") -> None:
    committed = not done.cancelled() and done.exception() is None
    balances.settled(refund.account_id, refund.delta, committed)


@lru_cache(maxsize=1024)
def _relative_validity(seconds: int) -> str:
    # the messages of a batch share their validity: formatted once, not per part
    return format_relative(timedelta(seconds=seconds))


def _outbound(message: Message, part: Part, now: float) -> OutboundPart:
    sar = (
        Sar(part.sar_ref, part.sar_total, part.sar_seq)
        if part.sar_ref is not None and part.sar_total is not None and part.sar_seq is not None
        else None
    )
    return OutboundPart(
        key=PartKey(message.id, part.seq),
        source_addr=message.source,
        source_addr_ton=message.source_ton,
        source_addr_npi=message.source_npi,
        destination_addr=message.destination,
        short_message=part.short_message,
        esm_class=part.esm_class,
        data_coding=message.data_coding,
        registered_delivery=1 if message.registered_delivery else 0,
        priority_flag=int(message.priority),
        validity_period=_relative_validity(max(1, int(message.valid_until - now))),
        sar=sar,
    )
