"""This node among the nodes that share one database: heartbeat, ownership, leases, fencing.

Each node has a row in `nodes` and renews its heartbeat every lease_ttl/3. It owns the
unfinished messages it accepted (and those handed or left to it): its memory queues only what
it owns. Every heartbeat it also claims messages without a live owner (a node died or left:
taken over within lease_ttl plus one heartbeat) and renews the leases of the upstream binds
it holds; a bind's connector runs only while its lease is held, and a lease nobody holds is
taken. A message whose route's connectors are all held by other nodes is handed to the holder
(its inbox in the store, then a notification; every heartbeat the inbox is read again, which
catches a notification lost).

A node that cannot renew its heartbeat for 0.7 lease_ttl (cut off from the database) fences
itself before any other node may take its work: it stops its binds (what they held goes back
to the store's queue as it was, never having been confirmed) and forgets its queue; once the
database answers it registers again and claims like a starting node. Meanwhile its store
refuses every write and aborts the commit under way (`Store.fence`), so no stale write of
this node lands after another took its work over.

On one SQLite file there is one process: the store says so (`shared`), and none of this runs
beyond queueing every unfinished message at start; the same on PostgreSQL for a store opened
without a node id (a single gateway, as before there were several).
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from smsgate.domain.message import Message
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import FINAL
from smsgate.store import Store

if TYPE_CHECKING:
    from smsgate.engine.gateway import Gateway

log = logging.getLogger(__name__)

CLAIM_PAGE: Final = 1000  # messages per claim
LEASE_PREFIX: Final = "connector:"
FENCE_AFTER: Final = 0.7  # of lease_ttl without a renewed heartbeat before a node fences itself
OUTBOX_NOTIFY_DELAY: Final = 0.02  # seconds outbox notifications are gathered into one
HANDOVER_DELAY: Final = 0.002  # seconds handovers are gathered into one statement
SMPP_CHANNEL: Final = "smpp"  # deliver_sm to customers' binds: sent by the node they are bound to


def default_node_id() -> str:
    """The host, the process and a few random characters: unique without configuration."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class NodeState(StrEnum):
    STARTING = "starting"
    READY = "ready"
    DRAINING = "draining"
    FENCED = "fenced"  # cut off from the database (never written: it could not be)
    GONE = "gone"


@dataclass
class ClusterCounters:
    """What the fault campaign and the metrics look at."""

    leases_acquired: int = 0
    leases_lost: int = 0  # held, then not renewed in time (another node may hold it now)
    leases_released: int = 0  # given up at a drain
    messages_taken_over: int = 0  # claimed from a node that died or left
    messages_handed_over: int = 0  # given to the node holding their route's bind
    messages_handed_in: int = 0  # taken from this node's inbox
    parts_requeued_lost_bind: int = 0  # in flight on a bind that was lost: possible duplicates
    fenced: int = 0  # times this node cut itself off
    outbox_claims_released: int = 0  # dead nodes' outbox claims made due again
    notifications: dict[str, int] = field(default_factory=dict)  # received, by kind


class ClusterNode:
    def __init__(
        self,
        gateway: "Gateway",
        store: Store,
        *,
        node_id: str | None = None,
        lease_ttl: float = 10.0,
        leased: Collection[str] = (),
    ) -> None:
        self.gateway = gateway
        self.store = store
        self.id = node_id or store.node_id or default_node_id()
        self.lease_ttl = lease_ttl
        self.leased = frozenset(leased)  # connector ids held through a lease
        # among other nodes only with a store whose rows name this node: without, the
        # messages it accepts would have no owner and any other node could claim them
        self.shared = store.shared and store.node_id is not None
        if self.shared and self.id != store.node_id:
            raise ValueError(f"node {self.id!r} on a store of node {store.node_id!r}")
        self.state = NodeState.STARTING
        self.counters = ClusterCounters()
        self.held: set[str] = set()  # connector ids whose lease this node holds
        self.remote: dict[str, str] = {}  # connector id -> the other node holding its lease
        self._task: asyncio.Task[None] | None = None
        self._inbox = asyncio.Event()  # a handover notification came
        self._claim_now = asyncio.Event()  # a node left: claim what it released now
        self._due = asyncio.Event()  # a heartbeat went by: look for dead nodes' messages
        self._leasing = asyncio.Lock()  # one renewal of the leases at a time
        self._last_ok = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
        self._outbox_pending = False
        self._handing: dict[str, list[Message]] = {}  # holder -> messages to hand over
        self._handing_task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self.state is NodeState.READY

    # -- start and stop ----------------------------------------------------------------------

    async def join(self) -> None:
        """Register and take the leases free now (their connectors are started next; the
        others get a stand-in)."""
        if self.shared:
            self.store.listen(self._notified)
            await self._register()
        await self._renew_leases(start=True)

    def run(self) -> None:
        """Heartbeats, takeovers and lease renewals from now on (PostgreSQL only)."""
        if self.shared:
            self._task = asyncio.create_task(self._run(), name="smsgate-node")

    async def restore(self) -> None:
        """Queue every unfinished message this node may own (the heartbeats go on meanwhile,
        however many there are)."""
        await self._claim(own=True)

    def mark_ready(self) -> None:
        if self.state is NodeState.STARTING:
            self.state = NodeState.READY

    async def drain(self) -> bool:
        """Not ready any more: a load balancer stops sending work here. Whether another node
        is alive to take it."""
        if self.state is NodeState.GONE:
            return False
        self.state = NodeState.DRAINING
        if not self.shared:
            return False
        try:
            await self.store.heartbeat(self.id, NodeState.DRAINING.value)
            others = await self.store.live_nodes(self.lease_ttl)
        except Exception:  # the database is away: nothing to hand over now
            return False
        return any(node.id != self.id and node.state == "ready" for node in others)

    async def leave(self) -> None:
        """After the engine stopped: give the leases and the unfinished messages up at once,
        tell the others, and mark this node gone."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._handing_task is not None:  # handovers under way are written first
            await asyncio.wait({self._handing_task})
        left, self.state = self.state is NodeState.GONE, NodeState.GONE
        if not self.shared or left:
            return
        try:
            for connector_id in sorted(self.held):
                await self.store.release_lease(LEASE_PREFIX + connector_id, self.id)
                self.counters.leases_released += 1
            self.held.clear()
            released = await self.store.release_messages(self.id)
            await self.store.heartbeat(self.id, NodeState.GONE.value)
            await self.store.notify(f"released {self.id}")
            log.info("node %s left: binds released, %d messages left to others", self.id,
                     released)  # fmt: skip
        except Exception as error:  # the database is away: the others take over on expiry
            log.warning("node %s could not hand its work over (%s)", self.id, error)

    # -- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        # beats on their own task: however long the work takes (a large inbox under load),
        # the heartbeat and the leases are renewed on time
        tasks = [
            asyncio.create_task(self._watchdog(), name="smsgate-node-watchdog"),
            asyncio.create_task(self._heartbeats(), name="smsgate-node-heartbeat"),
        ]
        try:
            await self._work()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _watchdog(self) -> None:
        """Fence at the deadline, whatever the heartbeat is waiting for: the leases this node
        renewed last expire 0.3 lease_ttl later at the earliest."""
        while True:
            left = self._last_ok + FENCE_AFTER * self.lease_ttl - time.monotonic()
            if left > 0:
                await asyncio.sleep(left)
            elif self.state in (NodeState.READY, NodeState.STARTING):
                await self._fence()
            else:
                await asyncio.sleep(self.lease_ttl / 10)

    async def _heartbeats(self) -> None:
        interval = self.lease_ttl / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self._beat(interval)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("node %s: heartbeat round failed", self.id)

    async def _work(self) -> None:
        """Wait for a notification or a heartbeat that calls for work, and do it."""
        events = inbox, claim, due = self._inbox, self._claim_now, self._due
        while True:
            waits = {asyncio.ensure_future(event.wait()) for event in events}
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()
            if self.state is not NodeState.READY:
                for event in events:
                    event.clear()
                continue
            try:
                if inbox.is_set():
                    inbox.clear()
                    await self._take_inbox()
                if claim.is_set():
                    claim.clear()
                    await self._renew_leases(start=False)  # its binds are free now
                    await self._claim(own=False)
                if due.is_set():  # a heartbeat: dead nodes' messages, a lost notification
                    due.clear()
                    await self._claim(own=False)
                    await self._take_inbox()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: the heartbeats see to it
                log.warning("node %s: claiming failed (%s)", self.id, error)

    # -- outbox items for other nodes ----------------------------------------------------------

    def outbox_written(self, item: OutboxItem) -> None:
        """An outbox listener: a deliver_sm for a customer bound on another node may wait in
        the outbox now; tell the nodes (at most one notification per OUTBOX_NOTIFY_DELAY)."""
        if item.channel != SMPP_CHANNEL or self._outbox_pending:
            return
        self._outbox_pending = True
        task = asyncio.get_running_loop().create_task(self._announce_outbox())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce_outbox(self) -> None:
        await asyncio.sleep(OUTBOX_NOTIFY_DELAY)
        self._outbox_pending = False
        with contextlib.suppress(Exception):  # the other nodes poll as well
            await self.store.notify(f"outbox {self.id}")

    async def _beat(self, interval: float) -> None:
        sent = time.monotonic()
        try:
            async with asyncio.timeout(interval):
                alive = await self.store.heartbeat(self.id, self._stored_state())
        except Exception as error:  # the watchdog fences the node if this goes on
            if self.state is not NodeState.FENCED:
                log.warning("node %s: heartbeat failed (%s)", self.id, error)
            return
        if self.state is NodeState.FENCED or not alive:
            await self._rejoin()
        else:
            await self._renew_leases(start=False)
        # alive until 0.7 lease_ttl after the heartbeat was sent, once the leases are renewed
        self._last_ok = sent
        self._due.set()

    def _stored_state(self) -> str:
        state = self.state
        return (NodeState.STARTING if state is NodeState.FENCED else state).value

    # -- fencing -----------------------------------------------------------------------------

    async def _fence(self) -> None:
        """Cut off from the database for too long: stop the binds and forget the queue before
        another node may take them over."""
        self.state = NodeState.FENCED
        self.store.fence()  # nothing written from now on may land after a takeover
        self.counters.fenced += 1
        log.error("node %s: no heartbeat for %.1f s: fenced (binds stopped, queue dropped)",
                  self.id, time.monotonic() - self._last_ok)  # fmt: skip
        for connector_id in sorted(self.held):
            await self._lost(connector_id)
        self.gateway.forget_queue()

    async def _rejoin(self) -> None:
        log.info("node %s: the database answers again: registering anew", self.id)
        self.state = NodeState.STARTING
        await self._register()
        self.store.unfence()  # registered again: what it writes now is its own work
        await self._renew_leases(start=False)
        self._last_ok = time.monotonic()
        await self._claim(own=True)
        self.state = NodeState.READY

    async def _register(self) -> None:
        sent = time.monotonic()
        await self.store.register_node(
            self.id, socket.gethostname(), os.getpid(), self._stored_state()
        )
        self._last_ok = sent

    # -- leases ------------------------------------------------------------------------------

    async def _renew_leases(self, *, start: bool) -> None:
        if not self.leased:
            return
        if not self.shared:
            self.held = set(self.leased)
            return
        async with self._leasing:
            await self._renew_shared_leases(start)

    async def _renew_shared_leases(self, start: bool) -> None:
        for connector_id in sorted(self.leased):
            name = LEASE_PREFIX + connector_id
            held = await self.store.acquire_lease(name, self.id, self.lease_ttl)
            if held and connector_id not in self.held:
                self.held.add(connector_id)
                self.counters.leases_acquired += 1
                # later than at start it is taken from a node gone, dead or cut off
                log.log(logging.INFO if start else logging.WARNING,
                        "node %s: lease %s acquired", self.id, name)  # fmt: skip
                if not start and self.state is not NodeState.FENCED:
                    await self.gateway.start_connector(connector_id)
            elif not held and connector_id in self.held:
                log.warning("node %s: lease %s lost", self.id, name)
                await self._lost(connector_id)
            elif not held and start:
                self.gateway.stand_in(connector_id)
        holders = await self.store.lease_holders(LEASE_PREFIX)
        self.remote = {
            name[len(LEASE_PREFIX) :]: node
            for name, node in holders.items()
            if node != self.id and name[len(LEASE_PREFIX) :] in self.leased
        }

    async def _lost(self, connector_id: str) -> None:
        self.held.discard(connector_id)
        self.counters.leases_lost += 1
        handed = await self.gateway.stop_connector(connector_id, drain_timeout=0.0)
        self.counters.parts_requeued_lost_bind += handed
        if handed:
            log.warning("node %s: %d parts in flight on %s queued again (possible duplicates)",
                        self.id, handed, connector_id)  # fmt: skip

    # -- messages ----------------------------------------------------------------------------

    async def _claim(self, *, own: bool) -> None:
        """Queue the messages this node may take: with `own` (a start) those it owns too."""
        after: str | None = None
        claimed = 0
        while self.shared or own:
            if self.shared:
                batch = await self.store.claim_messages(
                    self.id, self.lease_ttl, CLAIM_PAGE, after, own=own
                )
            else:  # the only node: every unfinished message is its own
                batch = await self.store.unfinished_messages(CLAIM_PAGE, after)
            if not batch:
                break
            self._queue(batch)
            claimed += len(batch)
            after = batch[-1].id
        if self.shared:
            # the callbacks and receipts a dead node had claimed go out now, not when their
            # claims' lease ends
            now = self.gateway.clock.time()
            released = await self.store.release_outbox_claims(self.id, self.lease_ttl, now)
            if released:
                self.counters.outbox_claims_released += released
                self.gateway.wake_outbox()
        if claimed and own:
            log.info("node %s: %d unfinished messages queued from the store", self.id, claimed)
        elif claimed:
            self.counters.messages_taken_over += claimed
            log.warning("node %s: took over %d messages of nodes gone or dead", self.id, claimed)

    async def _take_inbox(self) -> None:
        while True:
            batch = await self.store.take_inbox(self.id, CLAIM_PAGE)
            if not batch:
                return
            self.counters.messages_handed_in += len(batch)
            self._queue(batch)

    def _queue(self, messages: list[Message]) -> None:
        acceptance, live = self.gateway.acceptance, self.gateway.live
        for message in messages:
            if message.status in FINAL:
                continue  # finished meanwhile
            # read here before for a report, its copy in memory may be ahead of the store;
            # queued twice, dispatch finds nothing left to send the second time
            acceptance.enqueue(live.get(message.id) or message)

    async def hand_over(self, message: Message, holder: str) -> bool:
        """Give `message` to `holder` (its route's bind is there); False to keep it here.
        Handovers of a few milliseconds go in one statement, written beside dispatch."""
        if message.id in self.gateway.live.uncommitted:
            return False  # the store is behind memory: hand it over once written
        self.gateway.live.forget(message.id)
        self._handing.setdefault(holder, []).append(message)
        if self._handing_task is None:
            self._handing_task = asyncio.create_task(self._write_handovers())
        return True

    async def _write_handovers(self) -> None:
        await asyncio.sleep(HANDOVER_DELAY)
        while self._handing:
            handing, self._handing = self._handing, {}
            for holder, messages in handing.items():
                try:
                    moved = await self.store.hand_over([m.id for m in messages], self.id, holder)
                    await self.store.notify(f"inbox {holder}")
                except Exception as error:  # still this node's in the store: queued again
                    log.warning("node %s: handing %d messages to %s failed (%s)", self.id,
                                len(messages), holder, error)  # fmt: skip
                    self._queue(messages)
                else:
                    self.counters.messages_handed_over += moved
                    log.debug("node %s: %d messages handed to %s", self.id, moved, holder)
        self._handing_task = None

    # -- notifications -----------------------------------------------------------------------

    def _notified(self, payload: str) -> None:
        kind, _, node = payload.partition(" ")
        counts = self.counters.notifications
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "inbox" and node == self.id:
            self._inbox.set()
        elif kind == "released" and node != self.id:
            self._claim_now.set()
        elif kind == "reconnected":  # notifications may have been lost meanwhile
            self._inbox.set()
            self._claim_now.set()
        elif kind == "outbox" and node != self.id:
            self.gateway.wake_outbox()
