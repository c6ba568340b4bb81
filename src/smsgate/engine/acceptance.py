"""Accepting messages: validate, de-duplicate, price, persist, queue.

A message is returned to the interface only once it is committed (persist before
acknowledging); what the account's rate, the queue or a failed write does not let in gives its
reserved money and identical-window place back.
"""

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from operator import attrgetter
from typing import Any, Final, get_args, get_type_hints

from smsgate.domain.account import Account
from smsgate.domain.callback_urls import DenyList, check_url
from smsgate.domain.channels import (
    CHANNELS,
    EMAIL,
    NAMES,
    PING,
    RCS,
    SMS,
    THROUGH_SMS,
    ChannelRequest,
    checked,
    connector_channel,
    email_address,
    parse_prefixed,
    requested_prefix,
)
from smsgate.domain.comment import split_comment
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.message import Message, Part, Priority
from smsgate.domain.rcs import summary as rcs_summary
from smsgate.domain.rcs import validate as validate_rcs
from smsgate.domain.status import Status
from smsgate.domain.storable_text import check_fields, storable
from smsgate.engine.billing import Billing
from smsgate.engine.clock import Clock
from smsgate.engine.commands import SendCommand
from smsgate.engine.config import EngineConfig
from smsgate.engine.counters import Counters
from smsgate.engine.dispatcher import Dispatcher
from smsgate.engine.identical import IdenticalWindow, stable_key
from smsgate.engine.live import LiveMessages
from smsgate.engine.message_text import data_coding_of, encode_text, parts_of
from smsgate.engine.notify import status_item
from smsgate.engine.opt_outs import OptOutList
from smsgate.engine.ports import Connector, Router, is_rich
from smsgate.engine.rate import RateLimits
from smsgate.engine.shared_rate import SharedRates
from smsgate.engine.timing import check_validity, start_of
from smsgate.engine.transitions import Transitions
from smsgate.engine.writer import ChangeWriter, committed
from smsgate.store import (
    BalanceError,
    Change,
    DuplicateError,
    Store,
)
from smsgate.store.changes import BalanceChange, HistoryNote, IdenticalRequest
from smsgate.store.errors import IdenticalRequestError

log = logging.getLogger(__name__)

_BALANCES_REFRESH: Final = 5.0  # seconds between reads of the prepaid balances (top-ups)
SMS_ONLY: Final = (SMS,)
# a ping's data_coding: GSM 7-bit, message class 0 (with TP-PID 0x40 the handset shows nothing)
PING_DATA_CODING: Final = 0xF0
# channels whose text is not sent as SMS (when SMS is not a fallback of the message)
_WITHOUT_SMS_TEXT: Final = CHANNELS - {SMS}
# the first characters of a prefixed text (`_` read as GSM 03.38's `§` too)
_PREFIX_STARTS: Final = ("__", "\xa7\xa7")
_PRIORITIES: Final = frozenset(p.value for p in Priority)
# the command's text fields (str or str | None): what the stores keep as text
_COMMAND_FIELDS: Final = tuple(
    name
    for name, kind in get_type_hints(SendCommand).items()
    if kind is str or str in get_args(kind)
)
_COMMAND_TEXTS: Final = attrgetter(*_COMMAND_FIELDS)  # their values, in one call


class Acceptance:
    def __init__(
        self,
        store: Store,
        router: Router,
        *,
        live: LiveMessages,
        queue: Dispatcher,
        writer: ChangeWriter,
        transitions: Transitions,
        billing: Billing,
        opt_outs: OptOutList,
        counters: Counters,
        clock: Clock,
        config: EngineConfig,
        references: Iterator[int],
        callback_deny: DenyList | None,
        connectors: Mapping[str, Connector],
    ) -> None:
        self.connectors = connectors
        self.store = store
        self.router = router
        self.live = live
        self.queue = queue
        self.writer = writer
        self.transitions = transitions
        self.billing = billing
        self.opt_outs = opt_outs
        self.counters = counters
        self.clock = clock
        self.config = config
        self.references = references  # concatenation reference numbers
        self.callback_deny = callback_deny  # callback URLs naming these ranges are refused
        self.rates = RateLimits(clock)
        # several nodes: the account's rate is the store's bucket, shared by all of them
        self.shared_rates = SharedRates(store, clock) if store.shared else None
        self.identical = IdenticalWindow()
        self._refs_in_flight: set[tuple[str, str]] = set()  # client_refs being committed
        self._balances_task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        if self._balances_task is not None:
            await asyncio.wait({self._balances_task})  # a read in progress; it logs its errors

    async def accept(
        self,
        account: Account,
        commands: Sequence[SendCommand],
        record: Callable[[list[Message | GatewayError]], Change] | None = None,
    ) -> list[Message | GatewayError]:
        """Validate, persist and queue; a message is returned only once it is committed.
        `record` turns the results into a change written with the messages (the response to
        a request with an Idempotency-Key); it is called only when something is written."""
        now = self.clock.time()
        results: list[Message | GatewayError] = []
        accepted: list[Message] = []
        refs: list[tuple[str, str]] = []  # client_refs this call holds while it commits
        held: dict[str, tuple[int, int | None]] = {}  # message id: (micros reserved, window key)
        shared: dict[str, IdenticalRequest] = {}  # the window's rows every node sees, by id
        committed: list[Message] = []
        notes: list[HistoryNote] = []  # capability answers, written with their messages
        if now - self.billing.balances.loaded_at > _BALANCES_REFRESH:
            self._reload_balances_soon()
        try:
            for command in commands:
                try:
                    plan, note, request = command.channels, "", None
                    if plan != SMS_ONLY or command.text[:2] in _PREFIX_STARTS:
                        plan, note, request = await self._plan(account, command)
                    message = self._build(account, command, now, plan, request)
                    if note:
                        notes.append(HistoryNote(message.id, message.status, now, note))
                    if message.client_ref is not None:
                        await self._check_client_ref(account.id, message.client_ref)
                    try:
                        micros = self.billing.reserve(account, message, command.max_price)
                    except GatewayError as error:
                        micros = await self._reserve_again(account, message, command, error)
                    try:
                        key = self._check_identical(account, message, now, shared)
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
                kept = {m.id for m in accepted}
                notes = [n for n in notes if n.message_id in kept]
                results, accepted = await self._persist(
                    account, results, accepted, held, record, notes, shared
                )
                committed = accepted
        finally:
            self._refs_in_flight.difference_update(refs)
            if len(committed) < len(held) or self.billing.balances.prepaid(account.id):
                self._withdraw(account, now, held, committed)
        by_channel = self.counters.by_channel
        for message in accepted:
            self.enqueue(message)
            by_channel[message.channel] = by_channel.get(message.channel, 0) + 1
        self.counters.accepted += len(accepted)
        return results

    async def _persist(
        self,
        account: Account,
        results: list[Message | GatewayError],
        accepted: list[Message],
        held: Mapping[str, tuple[int, int | None]],
        record: Callable[[list[Message | GatewayError]], Change] | None = None,
        notes: Sequence[HistoryNote] = (),
        shared: Mapping[str, IdenticalRequest] | None = None,
    ) -> tuple[list[Message | GatewayError], list[Message]]:
        """Commit what the queue and the account's rate let in; (results, what was committed).
        A message another node accepted within its identical-request window (the store refuses
        its `shared` row) is refused alone, and the others are written again."""
        if not self.queue.has_room(len(accepted)):
            raise GatewayError("queue_full")
        if self.shared_rates is not None:
            allowed = await self.shared_rates.take_up_to(
                f"account:{account.id}", account.rate_limit, len(accepted)
            )
        else:
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
        while True:
            owed = [
                item
                for m in accepted
                if (item := status_item(m, m.status, m.created_at)) is not None
            ]
            kept = {m.id for m in accepted} if notes else set()
            extra: list[Change] = [*owed, *(n for n in notes if n.message_id in kept)]
            if shared:
                extra += [shared[m.id] for m in accepted if m.id in shared]
            if charged := sum(held[m.id][0] for m in accepted):
                extra.append(BalanceChange(account.id, -charged, accepted[0].created_at))
            if record is not None:
                extra.append(record(results))
            try:
                await committed(self.writer.add([*accepted, *extra] if extra else accepted))
            except BalanceError:  # another node (or a stale balance here) took the money first
                self._reload_balances_soon()
                raise GatewayError("insufficient_balance") from None
            except IdenticalRequestError:  # another node accepted the same request meanwhile
                assert shared is not None
                results, accepted = await self._without_identical(results, accepted, shared)
                continue
            except DuplicateError as error:  # a client_ref raced past the check
                raise GatewayError("duplicate", str(error)) from None
            self.transitions.announce(owed)
            return results, accepted

    async def _without_identical(
        self,
        results: list[Message | GatewayError],
        accepted: list[Message],
        shared: Mapping[str, IdenticalRequest],
    ) -> tuple[list[Message | GatewayError], list[Message]]:
        """The results and messages without those whose request the store holds within its
        window; GatewayError when that leaves nothing (or none was found: a window ended
        between the write and this read, and the request is refused rather than retried)."""
        requests = [shared[m.id] for m in accepted if m.id in shared]
        taken = await self.store.identical_taken([r.key for r in requests], requests[0].at)
        refused = {id(m) for m in accepted if m.id in shared and shared[m.id].key in taken}
        error = GatewayError("identical", "accepted within the window on another node")
        if not refused:  # none found any more: each is refused rather than written again
            refused = {id(m) for m in accepted}
        counts = self.counters.refused
        counts["identical"] = counts.get("identical", 0) + len(refused)
        self.counters.rejected += len(refused)
        if len(refused) == len(accepted):
            raise error
        kept = [m for m in accepted if id(m) not in refused]
        return [error if id(r) in refused else r for r in results], kept

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

    def _check_identical(
        self,
        account: Account,
        message: Message,
        now: float,
        shared: dict[str, IdenticalRequest],
    ) -> int | None:
        """Refuse the same source, destination and text within the account's window; the
        window key of a message let in (to withdraw it if the message is not committed). With
        a store several nodes share, the request's row is added to `shared`, to be written
        with the message: memory is then the cheap first check, the store the authority."""
        window = self.config.identical_window
        if account.dedup_window is not None:
            window = account.dedup_window
        if window <= 0 or message.status is Status.FAILED:
            return None
        text = message.text
        if message.channel != SMS:  # a lookup and a ping (no text) are not the same request
            text = f"{message.channel}\x00{text}"
        key = IdenticalWindow.key(account.id, message.source, message.destination, text)
        earlier = self.identical.admit(key, now, window)
        if earlier is not None:
            raise GatewayError(
                "identical", f"accepted {now - earlier:.0f} s ago; the window is {window:g} s"
            )
        if self.store.shared:
            stable = stable_key(account.id, message.source, message.destination, text)
            shared[message.id] = IdenticalRequest(stable, now, now + window)
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
        plan, _, request = self._channels(account, command)
        return self._build(account, command, self.clock.time(), plan, request)

    def _channels(
        self, account: Account, command: SendCommand
    ) -> tuple[tuple[str, ...], str, ChannelRequest | None]:
        """The channels to try (the first is the one the message goes by now), a note for its
        history, and what a channel other than SMS and RCS is asked for (its text and fields,
        from a prefixed text or the command's fields). A first channel no connector carries is
        skipped for the next one; alone, it is refused."""
        channels = command.channels
        if not channels or len(set(channels)) < len(channels) or set(channels) - CHANNELS:
            known = ", ".join(sorted(CHANNELS))
            raise GatewayError("invalid_request", f"channels: one or more of {known}, each once")
        if EMAIL in channels and len(channels) > 1:
            raise GatewayError("invalid_request", "an e-mail goes to an address: no fallback")
        sent = split_comment(command.text)[0]
        asked = requested_prefix(sent)
        if asked is not None and not self._carried(asked[1]):
            # refused for what it asks, before how it asks it is looked at
            raise GatewayError(
                "channel_unavailable", f"{asked[0]} asks for {NAMES[asked[1]]}, not offered"
            )
        request = parse_prefixed(sent) if asked is not None else None
        if request is not None:
            if channels == SMS_ONLY:
                channels = (request.channel,)
            elif channels[0] != request.channel:
                raise GatewayError(
                    "invalid_request", f"the text asks for {request.channel}, not {channels[0]}"
                )
        elif channels[0] not in (SMS, RCS):
            request = checked(channels[0], sent, command.fields or {})
        first, rest = channels[0], channels[1:]
        if first == RCS:
            if command.content is None:
                raise GatewayError(
                    "invalid_rcs_content", "RCSMessage: required for the rcs channel"
                )
            if not account.bot_id:
                raise GatewayError("rcs_unavailable", "the account has no RCS bot")
        if not self._carried(first):
            if rest:
                return rest, f"no {first} connector: sent by {rest[0]}", request
            if first == RCS:
                raise GatewayError("rcs_unavailable")
            raise GatewayError("channel_unavailable", f"{NAMES[first]} is not offered")
        return channels, "", request

    def _carried(self, channel: str) -> bool:
        wanted = connector_channel(channel)
        return any(c.channel == wanted for c in self.connectors.values())

    async def _plan(
        self, account: Account, command: SendCommand
    ) -> tuple[tuple[str, ...], str, ChannelRequest | None]:
        """`_channels`, and for RCS first with a fallback the recipient's capability: one its
        connector says cannot receive RCS goes by the next channel at once."""
        channels, note, request = self._channels(account, command)
        if channels[0] != RCS or len(channels) == 1:
            return channels, note, request
        rest = channels[1:]
        e164, _ = self.router.destination(command.to)
        capable = await self.capability(account, e164)
        if capable is False:
            note = f"capability: +{e164} cannot receive {RCS}; sent by {rest[0]}"
            return rest, note, request
        note = "capability: capable" if capable else "capability: no answer; sent by rcs"
        return channels, note, request

    async def capability(self, account: Account, e164: str) -> bool | None:
        """Whether the recipient can receive RCS from the account's bot, as the first RCS
        connector up answers (cached by the connector); None when none could tell."""
        for connector in self.connectors.values():
            if connector.channel != RCS or not connector.is_up:
                continue
            if not is_rich(connector):
                continue
            try:
                return await connector.capable(e164, account.bot_id or "")
            except GatewayError as error:
                log.info("%s: no capability answer for +%s: %s", connector.id, e164, error)
        return None

    def _build(
        self,
        account: Account,
        command: SendCommand,
        now: float,
        plan: tuple[str, ...] = SMS_ONLY,
        request: ChannelRequest | None = None,
    ) -> Message:
        # text neither store can keep fails this message only, not the write it would share
        check_fields(zip(_COMMAND_FIELDS, _COMMAND_TEXTS(command), strict=True))
        channel = plan[0]
        if channel == EMAIL:
            e164, region = email_address(command.to), None
        else:
            # destinations are kept and sent as international E.164 (ton 1, npi 1)
            e164, region = self.router.destination(command.to)
        if self.opt_outs.blocked(account.id, e164):
            raise GatewayError("opted_out", f"+{e164} sent an opt-out keyword to this account")
        source, source_ton, source_npi = self.router.source(
            command.sender or self.config.default_sender
        )
        content: dict[str, Any] | None = None
        text = command.text
        if request is not None:
            text = request.text + text[len(split_comment(text)[0]) :]  # the comment stays
            content = dict(request.fields) or None
        if RCS in command.channels and command.content is not None:  # kept when it went by SMS
            rich = validate_rcs(command.content)
            content = {**(content or {}), "botId": account.bot_id, "RCSMessage": rich}
            text = text or rcs_summary(rich)
        if channel in _WITHOUT_SMS_TEXT and SMS not in plan:
            # a channel with a text of its own (or none): not encoded as SMS
            text, comment = split_comment(text)
            encoded = None
        else:
            text, comment, encoded = encode_text(
                text,
                command.encoding,
                next(self.references),
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
        carrier = None if channel == EMAIL else command.carrier or self.router.carrier(e164)
        segments = encoded.segments if encoded is not None else 1
        route_id = channel
        if THROUGH_SMS & set(plan):  # no route to SMS: refused now rather than when it falls back
            route_id, _ = self.router.connectors(account.id, source, e164, region, carrier)
        if channel != SMS:
            # any other channel is priced per message, by the rules naming it as the route
            route_id, segments = channel, 1
        quote = self.billing.quote(account, route_id, region, carrier, segments)
        start = scheduled or now
        callback_url = command.callback_url
        if callback_url is None and channel == RCS:
            callback_url = account.rcs_webhook_url
        message_id = command.message_id or new_id()
        message = Message(
            id=message_id,
            account_id=account.id,
            source=source,
            source_ton=source_ton,
            source_npi=source_npi,
            destination=e164,
            text=text,
            comment=comment,
            encoding=encoded.encoding.value if encoded is not None else "",
            data_coding=PING_DATA_CODING
            if channel == PING
            else 0
            if encoded is None
            else data_coding_of(encoded, command.data_coding),
            segments=segments,
            created_at=now,
            updated_at=now,
            valid_until=start + validity,
            priority=Priority(command.priority),
            status=Status.SCHEDULED if scheduled else Status.QUEUED,
            client_ref=command.client_ref,
            callback_url=callback_url or account.callback_url,
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
            channel=channel,
            fallback=plan[1:],
            channel_until=start + (command.channel_ttl or self.config.channel_ttl)
            if len(plan) > 1
            else None,
            content=content,
        )
        if channel == SMS and encoded is not None:
            message.parts = parts_of(message_id, encoded, message.status)
        else:  # one part: a rich message, another channel's, a lookup, a ping
            message.parts = [Part(message_id, 1, b"", status=message.status)]
        return message

    def reject_acknowledged(
        self, account: Account, command: SendCommand, error: GatewayError, changes: list[Change]
    ) -> "asyncio.Future[None]":
        """Store, rejected with `error`, a message whose id the customer already holds (an SMPP
        message answered part by part before its parts came together) that cannot be sent, so
        that the status and receipt it is owed say so; `changes` are written with it. The
        write's future; the receipt or callback is announced once it is committed."""
        assert command.message_id is not None, "only a message already answered"
        now = self.clock.time()
        try:
            destination = self.router.destination(command.to)[0]
        except GatewayError:
            destination = storable(command.to.lstrip("+"))
        message = Message(
            id=command.message_id,
            account_id=account.id,
            source=storable(command.sender or self.config.default_sender),
            source_ton=0,
            source_npi=0,
            destination=destination,
            text=storable(command.text),  # kept to say what was refused
            encoding=command.encoding or "",
            data_coding=command.data_coding or 0,
            segments=1,
            created_at=now,
            updated_at=now,
            valid_until=now,
            status=Status.REJECTED,
            callback_url=command.callback_url or account.callback_url,
            registered_delivery=command.registered_delivery,
            receipt_only=command.receipt_only,
            origin=command.origin,
            error_code=error.code,
            error_detail=error.detail or None,
        )
        message.parts = [
            Part(
                message.id,
                1,
                b"",
                status=Status.REJECTED,
                error_code=error.code,
                error_detail=error.detail or None,
                done_at=now,
            )
        ]
        owed = [item for item in (status_item(message, Status.REJECTED, now),) if item]
        written = self.writer.add([message, *owed, *changes])
        written.add_done_callback(
            lambda done: (
                self.transitions.announce(owed)
                if not done.cancelled() and done.exception() is None
                else None
            )
        )
        return written

    def enqueue(self, message: Message) -> None:
        self.live.remember(message)
        due = message.scheduled_at if message.status is Status.SCHEDULED else None
        self.queue.push(message.id, message.priority, due)
