"""MO messages from carriers: reassembled when concatenated, routed to an account by the number
they were sent to (and a keyword), stored with what the account is owed, in one write.

Durability: each part of a concatenated MO is written to `inbound_segments` before the carrier's
deliver_sm_resp, and the part that completes the message is written as the whole message (with
its outbox item) in the same transaction that deletes the stored parts. So a restart loses no
part: `start` puts the stored parts back into the reassembler, and a message is never stored
twice. A message whose parts stop coming is stored as partial (`complete` false) once
`timeout` seconds (by the engine's clock) passed since its first part.

An MO to a number nobody owns is stored unclaimed (account_id NULL) for the operator. An MO that
is an opt-out or opt-in keyword of its account also updates the account's opt-out list, in the
same write.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Final

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.inbound import InboundMessage, InboundSegment, OptOut
from smsgate.domain.mo_routing import opt_out_change, owner
from smsgate.domain.outbox import OutboxItem
from smsgate.engine.clock import Clock
from smsgate.engine.notify import inbound_item
from smsgate.engine.opt_outs import OptOutList
from smsgate.engine.ports import InboundPart
from smsgate.engine.writer import ChangeWriter
from smsgate.store import Change, SegmentsTaken, Store
from smsgate.store.errors import SegmentsGoneError
from smsgate.text import GroupKey, ReassembledMessage, Reassembler, TextError

log = logging.getLogger(__name__)

_TICK: Final = 1.0  # seconds between looks for messages whose parts stopped coming
MAX_OWNERS_KEPT: Final = 10_000  # numbers whose owners are kept in memory
DEFAULT_OPT_OUT_REFRESH: Final = 30.0  # seconds between reloads of the opt-out list

Owners = Sequence[tuple[str, Account]]


class InboundDesk:
    def __init__(
        self,
        store: Store,
        writer: ChangeWriter,
        clock: Clock,
        opt_outs: OptOutList,
        *,
        normalise: Callable[[str], str],
        announce: Callable[[list[OutboxItem]], None],
        timeout: float,
        max_groups: int = 10_000,
        opt_out_refresh: float = DEFAULT_OPT_OUT_REFRESH,
    ) -> None:
        self.store = store
        self.writer = writer
        self.clock = clock
        self.opt_outs = opt_outs
        self.normalise = normalise  # a sender as E.164 digits (the router's reading)
        self.announce = announce
        self.opt_out_refresh = opt_out_refresh
        self.reassembler = Reassembler(timeout=timeout, max_groups=max_groups)
        self.ready = asyncio.Event()
        self.counts = {
            "messages": 0,
            "partial": 0,
            "unclaimed": 0,
            "duplicate_parts": 0,
            "assembled_elsewhere": 0,  # parts another node made the message of (shared store)
        }
        self._connectors: dict[GroupKey, str] = {}  # the connector of each open group
        self._writing: dict[GroupKey, asyncio.Future[None]] = {}  # group writes not settled
        self._started_at = 0.0
        self._task: asyncio.Task[None] | None = None
        self._finishing: set[asyncio.Task[None]] = set()
        # each number's owners as last read: a store read per MO cost a tenth of the MO
        # path's CPU and held its deliver_sm_resp; `forget_owners` runs when accounts or
        # inbound numbers changed anywhere (the configuration watch)
        self._owners: dict[str, Owners] = {}
        self._owners_generation = 0  # moved by each forget: a read begun before is not kept

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the opt-out list and the stored parts, then take MO."""
        await self.opt_outs.load(self.store)
        self._started_at = self.clock.time()
        finished: list[ReassembledMessage] = []
        segments = await self.store.inbound_segments()
        for segment in segments:
            key = GroupKey(segment.source, segment.destination, segment.reference, segment.total)
            self._connectors[key] = segment.connector_id
            finished += self.reassembler.add(
                source=segment.source,
                destination=segment.destination,
                reference=segment.reference,
                total=segment.total,
                seqnum=segment.seq,
                payload=segment.payload,
                now=segment.received_at,
                data_coding=segment.data_coding,
            )
        if segments:
            log.info("restored %d parts of concatenated MO from the store", len(segments))
        self.ready.set()
        for group in finished:  # more groups were stored than max_groups holds
            await self._finish(group)
        self._task = asyncio.create_task(self._housekeeping())

    async def stop(self) -> None:
        """Stop looking for expired messages; open groups stay in the store for the next start."""
        self.ready.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task})
        if self._finishing:
            await asyncio.wait(set(self._finishing))

    async def _housekeeping(self) -> None:
        reloaded = time.monotonic()
        while True:
            await asyncio.sleep(_TICK)
            try:
                await self.flush_expired()
                if time.monotonic() - reloaded >= self.opt_out_refresh:
                    reloaded = time.monotonic()
                    await self.opt_outs.load(self.store)
            except Exception:  # the store is away for a while: try again next tick
                log.exception("MO housekeeping failed")

    async def flush_expired(self) -> int:
        """Store as partial the concatenated messages whose first part came `timeout` ago or
        more (by the engine's clock); how many there were."""
        groups = self.reassembler.expire(self.clock.time())
        for group in groups:
            await self._finish(group)
        return len(groups)

    # -- receiving -----------------------------------------------------------------------------

    def forget_owners(self) -> None:
        """Read every number's owners again: an account or an inbound number changed."""
        self._owners.clear()
        self._owners_generation += 1

    async def _owners_of(self, number: str) -> Owners:
        owners = self._owners.get(number)
        if owners is None:
            generation = self._owners_generation
            owners = await self.store.inbound_owners(number)
            if generation != self._owners_generation:
                return owners  # read across a change: right for this MO, not to keep
            if len(self._owners) >= MAX_OWNERS_KEPT:
                del self._owners[next(iter(self._owners))]  # the oldest read
            self._owners[number] = owners
        return owners

    async def receive(self, connector_id: str, part: InboundPart) -> None:
        """Take one MO message or part; returns once what it brought is stored."""
        await self.ready.wait()
        body, concat = part.body, part.concat
        # the read comes before the reassembler changes, so that the writes of one group's
        # parts are queued in the order the reassembler saw them
        owners = await self._owners_of(part.destination)
        now = self.clock.time()
        if concat is None:
            key = GroupKey(part.source, part.destination, 0, 1)
            single = ReassembledMessage(key, part.data_coding, (body,), now)
            await self._commit(self._routed(self._message(connector_id, single, now), owners))
            return
        key = GroupKey(part.source, part.destination, concat.reference, concat.total)
        if await self._held(key, concat.seqnum, body):
            return
        if not self.reassembler.is_open(key) and await self._stored_before(key, body, now):
            # a part of a message stored before a restart, whose resp the carrier missed
            self.counts["duplicate_parts"] += 1
            return
        if await self._held(key, concat.seqnum, body):  # a copy came while the store was read
            return
        self._connectors.setdefault(key, connector_id)
        finished = self.reassembler.add(
            source=key.source,
            destination=key.destination,
            reference=key.reference,
            total=key.total,
            seqnum=concat.seqnum,
            payload=body,
            now=now,
            data_coding=part.data_coding,
        )
        mine = None
        for group in finished:
            if group.key == key:
                mine = group
            else:  # the oldest open group, pushed out to make room: stored as partial
                task = asyncio.create_task(self._finish(group))
                self._finishing.add(task)
                task.add_done_callback(self._finishing.discard)
        if mine is None:
            segment = InboundSegment(
                key.source,
                key.destination,
                key.reference,
                key.total,
                concat.seqnum,
                connector_id,
                part.data_coding,
                body,
                now,
            )
            try:
                await self._commit([segment], key)
            except Exception:
                self.reassembler.withdraw(key, concat.seqnum)
                raise
            if self.store.shared:  # the other parts may have come to other nodes
                await self._from_store(key, final=False)
            return
        message = self._message(self._connectors.pop(key, connector_id), mine, now)
        try:
            await self._commit([*self._routed(message, owners), _taken(key)], key)
        except Exception:
            self.reassembler.reopen(mine, without=concat.seqnum)
            self._connectors[key] = message.connector_id
            raise

    async def _held(self, key: GroupKey, seq: int, body: bytes) -> bool:
        """Whether the part is held already (a copy the carrier sent again); then returns once
        the first copy is stored."""
        if not self.reassembler.holds(key, seq, body):
            return False
        self.counts["duplicate_parts"] += 1
        writing = self._writing.get(key)
        if writing is not None:
            await asyncio.shield(writing)
        return True

    async def _stored_before(self, key: GroupKey, body: bytes, now: float) -> bool:
        """Whether a message stored before this start, within the reassembly timeout, with the
        same sender, number, reference and part count, holds this part's body: the
        reassembler remembers the messages it completed since the start, the store the
        ones before."""
        since = now - self.reassembler.timeout
        if since >= self._started_at:
            return False  # the reassembler's memory covers the whole timeout
        for message in await self.store.recent_inbound(key.source, key.destination, since):
            if (
                message.received_at < self._started_at
                and (message.reference, message.segments) == (key.reference, key.total)
                and body in message.payload
            ):
                return True
        return False

    async def _finish(self, group: ReassembledMessage) -> None:
        """Store a group handed back incomplete (expired or pushed out) as a partial message."""
        if self.store.shared:  # with the parts other nodes stored, by one node only
            try:
                await self._from_store(group.key, final=True)
            except Exception:
                log.exception("partial MO from %s not stored; kept for later", group.key.source)
                self.reassembler.reopen(group)
            return
        connector_id = self._connectors.pop(group.key, "")
        try:
            owners = await self._owners_of(group.key.destination)
            message = self._message(connector_id, group, self.clock.time())
            await self._commit([*self._routed(message, owners), _taken(group.key)])
        except Exception:
            log.exception("partial MO from %s not stored; kept for later", group.key.source)
            self.reassembler.reopen(group)
            self._connectors[group.key] = connector_id

    async def _from_store(self, key: GroupKey, *, final: bool) -> None:
        """With several nodes on one store, the parts of one message may come to different
        nodes (one bind each), and each stores those it gets before it reads the group: the
        node whose read sees every part (or, `final`, the first whose time for it is up)
        writes the message and takes the parts, refused if any was taken meanwhile (another
        node wrote it), so the message is stored once."""
        stored = await self.store.inbound_group(
            key.source, key.destination, key.reference, key.total
        )
        by_seq = {segment.seq: segment for segment in stored}
        if not stored or (len(by_seq) < key.total and not final):
            if not stored:  # taken: another node wrote the message
                self.reassembler.discard(key)
                self._connectors.pop(key, None)
            return
        first = min(stored, key=lambda segment: (segment.received_at, segment.seq))
        bodies = tuple(
            by_seq[seq].payload if seq in by_seq else None for seq in range(1, key.total + 1)
        )
        group = ReassembledMessage(key, first.data_coding, bodies, first.received_at)
        owners = await self._owners_of(key.destination)
        message, extra = route(
            self._message(first.connector_id, group, self.clock.time()), owners, self.normalise
        )
        taken = SegmentsTaken(key.source, key.destination, key.reference, key.total, len(stored))
        try:
            await self._commit([message, *extra, taken], key)
        except SegmentsGoneError:
            self.counts["assembled_elsewhere"] += 1
        else:
            self.counts["messages"] += 1
            self.counts["partial"] += not message.complete
            self.counts["unclaimed"] += message.account_id is None
        self.reassembler.discard(key)
        self._connectors.pop(key, None)

    def _message(self, connector_id: str, group: ReassembledMessage, now: float) -> InboundMessage:
        try:
            text: str | None = group.text(errors="replace")
        except TextError:
            text = None  # binary or an unknown coding: the payload is kept as it came
        return InboundMessage(
            id=new_id(),
            connector_id=connector_id,
            source=group.key.source,
            destination=group.key.destination,
            text=text,
            data_coding=group.data_coding,
            payload=group.payload,
            received_at=now,
            segments=group.key.total,
            complete=group.complete,
            reference=group.key.reference if group.key.total > 1 else None,
        )

    def _routed(self, message: InboundMessage, owners: Owners) -> list[Change]:
        self.counts["messages"] += 1
        if not message.complete:
            self.counts["partial"] += 1
        message, extra = route(message, owners, self.normalise)
        if message.account_id is None:
            self.counts["unclaimed"] += 1
        return [message, *extra]

    async def set_opt_out(self, account_id: str, number: str, *, active: bool) -> None:
        """An opt-out (or opt-in) the account reports itself; in the list once committed."""
        await self._commit([OptOut(account_id, number, self.clock.time(), active=active)])

    async def _commit(self, changes: list[Change], key: GroupKey | None = None) -> None:
        future = self.writer.add(changes)
        future.add_done_callback(lambda done: self._committed(done, changes))
        if key is not None:  # the latest write of a group, which a duplicate part waits for
            self._writing[key] = future
            future.add_done_callback(lambda done: self._written(key, done))
        # shielded: a caller that stops waiting (the carrier's resp timed out) does not
        # withdraw the write, which commits anyway
        await asyncio.shield(future)

    def _written(self, key: GroupKey, done: "asyncio.Future[None]") -> None:
        if self._writing.get(key) is done:
            del self._writing[key]

    def _committed(self, done: "asyncio.Future[None]", changes: list[Change]) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        for change in changes:
            if isinstance(change, OptOut):
                self.opt_outs.apply(change)
        self.announce([c for c in changes if isinstance(c, OutboxItem)])


def route(
    message: InboundMessage, owners: Owners, normalise: Callable[[str], str]
) -> tuple[InboundMessage, list[Change]]:
    """`message` for the account its number's (keyword, account) owners give it (unchanged,
    unclaimed, when none takes it), and what comes with it: the sender's opt-out change if
    the text is one of the account's keywords, and the item the account is owed. `normalise`
    reads a number as the router does (E.164 digits, or GatewayError)."""
    account = owner(owners, message.text)
    if account is None:
        return message, []
    message = replace(message, account_id=account.id)
    changes: list[Change] = []
    opting = opt_out_change(account, message.text)
    if opting is not None:
        number = _sender_number(message.source, normalise)
        changes.append(OptOut(account.id, number, message.received_at, active=opting))
    item = inbound_item(message, account)
    if item is not None:
        changes.append(item)
    return message, changes


def _sender_number(source: str, normalise: Callable[[str], str]) -> str:
    """The sender as MT destinations are kept (E.164 digits), as far as it reads as one."""
    for candidate in (f"+{source}", source) if source.isdigit() else (source,):
        try:
            return normalise(candidate)
        except GatewayError:
            continue
    return source


def _taken(key: GroupKey) -> SegmentsTaken:
    return SegmentsTaken(key.source, key.destination, key.reference, key.total)
