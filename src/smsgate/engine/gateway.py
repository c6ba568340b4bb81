"""The engine, as interfaces and the composition root see it: one facade over its jobs.

accept (`acceptance`) -> persist -> dispatch (`dispatch`) -> connector -> accepted/failed and
reports (`outcomes`, `receipts`) -> the one state-change sequence (`transitions`); a customer's
cancel, replace, redact and delete (`lifecycle`); MO (`inbound`). Every change goes to the
store through the `ChangeWriter`; the messages in memory (`live`), the queue and the index of
channel ids are a cache that `start()` rebuilds from the store.

The composition root passes in every collaborator from outside the engine: the store, the
router, the connectors (started here with the engine as their events), billing with its
prices, the callback deny list, the clock, and the listeners of committed statuses and outbox
items; to restart a connector at runtime, how to build a fresh one of its configuration, and
to replay dead letters at once, the outbox consumers' wake-ups. Nothing is set on the gateway
after construction.
"""

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence

from smsgate.domain.account import Account
from smsgate.domain.callback_urls import DenyList
from smsgate.domain.channels import SMS
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.pricing import PriceList
from smsgate.domain.submitted_part import SubmittedPart
from smsgate.engine.acceptance import Acceptance
from smsgate.engine.administration import Administration
from smsgate.engine.billing import Billing
from smsgate.engine.channel_timeouts import ChannelTimeouts
from smsgate.engine.clock import Clock, SystemClock
from smsgate.engine.cluster import ClusterNode
from smsgate.engine.commands import ReplaceCommand, SendCommand
from smsgate.engine.config import EngineConfig
from smsgate.engine.config_watch import ConfigWatch
from smsgate.engine.counters import Counters
from smsgate.engine.dispatch import Dispatch
from smsgate.engine.dispatcher import Dispatcher
from smsgate.engine.fallback import Fallbacks
from smsgate.engine.identical_purge import IdenticalPurge
from smsgate.engine.inbound import InboundDesk
from smsgate.engine.latency import LatencyWindow
from smsgate.engine.lifecycle import Lifecycle
from smsgate.engine.live import LiveMessages
from smsgate.engine.opt_outs import OptOutList
from smsgate.engine.outcomes import Outcomes
from smsgate.engine.ports import Connector, Router
from smsgate.engine.queries import Queries
from smsgate.engine.queue_upkeep import QueueUpkeep
from smsgate.engine.receipt_timeouts import ReceiptTimeouts
from smsgate.engine.receipts import Receipts
from smsgate.engine.router import EngineRouter
from smsgate.engine.stopped_connector import StoppedConnector
from smsgate.engine.transitions import OutboxListener, StatusListener, Transitions
from smsgate.engine.user_events import UserEvents
from smsgate.engine.writer import ChangeWriter, committed
from smsgate.store import Change, Store, SubmittedPartsTaken

log = logging.getLogger(__name__)


class Gateway:
    def __init__(
        self,
        store: Store,
        router: Router,
        connectors: Mapping[str, Connector],
        *,
        queries: Queries | None = None,
        counters: Counters | None = None,
        billing: Billing | None = None,
        clock: Clock | None = None,
        config: EngineConfig | None = None,
        callback_deny: DenyList | None = None,
        on_status: Sequence[StatusListener] = (),
        on_outbox: Sequence[OutboxListener] = (),
        receipt_timeouts: Mapping[str, float | None] | None = None,
        build_connector: Callable[[str], Connector] | None = None,
        outbox_wakers: Sequence[Callable[[], None]] = (),
        node_id: str | None = None,
        lease_ttl: float = 10.0,
        leased: Collection[str] = (),
    ) -> None:
        self.store = store
        self.queries = queries or Queries(store)  # the read side interfaces use
        self.router = router
        # dispatch, acceptance and the timeouts hold this same dict: a connector stopped or
        # started again at runtime is replaced in it
        self.connectors = dict(connectors)
        self._build_connector = build_connector  # a fresh connector of a configured id
        self._outbox_wakers = tuple(outbox_wakers)  # each outbox consumer's "claim again now"
        self._switching = asyncio.Lock()  # one connector stop or start at a time
        self.clock = clock or SystemClock()
        self.config = config = config or EngineConfig()
        self.billing = billing or Billing(config.currency)
        self.ready = asyncio.Event()
        self._stopping = False
        # called with (message, new status) once a status change is committed
        self.listeners: list[StatusListener] = list(on_status)
        # called with each outbox item once it is committed (its consumer may wake up)
        self.outbox_listeners: list[OutboxListener] = list(on_outbox)
        # awaited first by `stop`: what an interface runs in the background on the gateway's
        # behalf (the console's traffic sampler), started after the gateway and not by it
        self.on_stop: list[Callable[[], Awaitable[None]]] = []
        self.counters = counters or Counters()
        # this node among those sharing the store; `leased` connectors run only while this
        # node holds their lease
        self.node = ClusterNode(self, store, node_id=node_id, lease_ttl=lease_ttl, leased=leased)
        if self.node.shared:
            self.outbox_listeners.append(self.node.outbox_written)
        self.submit_latency = LatencyWindow()
        self.dispatcher = queue = Dispatcher(config.queue_capacity)
        self.writer = writer = ChangeWriter(store)
        self.live = live = LiveMessages(store, config.live_limit)
        self.opt_outs = OptOutList()
        self.transitions = transitions = Transitions(
            writer, live, self.billing, self.listeners, self.outbox_listeners
        )
        references = itertools.count(int(time.time()) & 0xFFFF)  # concatenation references
        self.acceptance = Acceptance(
            store,
            router,
            live=live,
            queue=queue,
            writer=writer,
            transitions=transitions,
            billing=self.billing,
            opt_outs=self.opt_outs,
            counters=self.counters,
            clock=self.clock,
            config=config,
            references=references,
            callback_deny=callback_deny,
            connectors=self.connectors,
        )
        self.lifecycle = Lifecycle(
            store,
            self.queries,
            live=live,
            queue=queue,
            writer=writer,
            transitions=transitions,
            billing=self.billing,
            clock=self.clock,
            config=config,
            references=references,
        )
        self.inbound_desk = InboundDesk(
            store,
            writer,
            self.clock,
            self.opt_outs,
            normalise=lambda number: router.destination(number)[0],
            announce=transitions.announce,
            timeout=config.mo_reassembly_timeout,
        )
        self.fallbacks = Fallbacks(
            router,
            self.billing,
            transitions,
            live,
            queue,
            self.counters,
            self.clock,
            config,
            references,
        )
        self.dispatch = Dispatch(
            queue,
            live,
            router,
            self.connectors,
            transitions,
            self.fallbacks,
            self.opt_outs,
            self.counters,
            self.clock,
            self.node if self.node.shared else None,
        )
        self.receipts = Receipts(
            store, live, transitions, self.fallbacks, self.counters, self.clock
        )
        self.channel_timeouts = ChannelTimeouts(
            store,
            live,
            self.connectors,
            self.fallbacks,
            self.receipts,
            self.counters,
            self.clock,
            interval=config.channel_timeout_interval,
        )
        self.user_events = UserEvents(store, writer, transitions, self.counters, self.clock)
        # connector id -> seconds after a message's validity before a missing receipt is given up
        self.receipt_timeouts = ReceiptTimeouts(
            store,
            live,
            transitions,
            self.clock,
            receipt_timeouts or {},
            interval=config.receipt_timeout_interval,
        )
        self.config_watch = self._watch_configuration()
        # the web console's users, sessions, accounts and tables
        self.admin = Administration(store, self.clock, self.config_watch.changed_here)
        self.identical_purge = IdenticalPurge(store, self.clock)
        self.queue_upkeep = QueueUpkeep(store)
        # what the connectors report to
        self.outcomes = Outcomes(
            live,
            transitions,
            self.receipts,
            self.fallbacks,
            self.inbound_desk,
            self.user_events,
            self.dispatch,
            queue,
            self.counters,
            self.submit_latency,
            self.clock,
        )

    # -- life cycle ----------------------------------------------------------------------------

    def _watch_configuration(self) -> ConfigWatch:
        """What this node reloads when the configuration changed elsewhere; the interfaces
        add their caches (`config_watch.on_change`)."""
        watch = ConfigWatch(self.store, self.config.config_poll_interval)
        if isinstance(self.router, EngineRouter):
            for kind in ("routes", "carriers", "portability"):
                watch.on_change(kind, self.reload_routes)
        watch.on_change("prices", self.reload_prices)
        watch.on_change("opt_outs", self._reload_opt_outs)
        # an account's settings, suspension or key; a prepaid account created or removed
        watch.on_change("accounts", self.user_events.forget_accounts)
        watch.on_change("accounts", self.acceptance.reload_balances)
        for kind in ("accounts", "inbound_numbers"):  # an MO's owners: a number or its account
            watch.on_change(kind, self.inbound_desk.forget_owners)
        return watch

    async def start(self) -> None:
        """Join the nodes sharing the store (leases of the binds, the messages this node may
        own queued from the store), start the connectors it holds, then dispatch."""
        await self.config_watch.prime()  # what is loaded from here on is at these versions
        await self.node.join()
        for connector in list(self.connectors.values()):
            if not isinstance(connector, StoppedConnector):
                await connector.start(self.outcomes)
        self.node.run()
        await self.node.restore()
        await self.inbound_desk.start()
        await self.acceptance.reload_balances()
        self.dispatch.start()
        self.receipt_timeouts.start()
        if any(c.channel != SMS for c in self.connectors.values()):
            self.channel_timeouts.start()
        if self.config_watch.interval > 0:
            self.config_watch.start()
        if self.store.shared:  # one SQLite gateway keeps its window in memory only
            self.identical_purge.start()
            self.queue_upkeep.start()
        self.node.mark_ready()
        self.ready.set()

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Stop dispatching, then the connectors (each drains within `drain_timeout`); what
        they hand back stays queued in the store for the next start."""
        self._stopping = True
        self.ready.clear()
        for stop_task in self.on_stop:
            await stop_task()
        await self.config_watch.stop()
        await self.identical_purge.stop()
        await self.queue_upkeep.stop()
        await self.dispatch.stop()
        await self.receipt_timeouts.stop()
        await self.channel_timeouts.stop()
        await self.inbound_desk.stop()
        await self.acceptance.stop()
        await self.writer.drain()
        for connector in self.connectors.values():
            await connector.stop(drain_timeout)
        await self.writer.drain()
        await self.node.leave()

    # -- connectors at runtime (the operator's console) ---------------------------------------

    async def stop_connector(self, connector_id: str, drain_timeout: float = 10.0) -> int:
        """Stop one connector while the engine runs. A stand-in that is never up takes its
        place first, so dispatch hands it nothing more; the parts it hands back go back to the
        queue as `queued` (the store never saw them leave). Returns how many it handed back;
        0 when it was stopped already."""
        async with self._switching:
            connector = self._connector(connector_id)
            if isinstance(connector, StoppedConnector):
                return 0
            self.connectors[connector_id] = StoppedConnector(
                connector_id, connector.channel, self.clock.time()
            )
            handed = await connector.stop(drain_timeout)
            for part in handed:
                # as when a connector gives a part up for now: queued again, sent elsewhere or
                # after a start
                self.outcomes.failed(part.key, "", "stopped", permanent=False)
            log.info("connector %s stopped, %d parts queued again", connector_id, len(handed))
            return len(handed)

    async def start_connector(self, connector_id: str) -> bool:
        """Start a stopped connector again: a fresh one of its configuration, reporting to the
        engine like the others; what waited for it goes out. False when it was running."""
        async with self._switching:
            if not isinstance(self._connector(connector_id), StoppedConnector):
                return False
            if self._build_connector is None:
                raise GatewayError("unavailable", "connectors cannot be started at runtime here")
            if connector_id in self.node.leased and connector_id not in self.node.held:
                # its bind counts against the carrier's limits: only the lease's holder binds
                holder = self.node.remote.get(connector_id, "another node")
                raise GatewayError("unavailable", f"connector {connector_id} is held by {holder}")
            connector = self._build_connector(connector_id)
            await connector.start(self.outcomes)
            self.connectors[connector_id] = connector
            self.dispatch.made_room()
            self.dispatcher.wake()
            log.info("connector %s started", connector_id)
            return True

    def stand_in(self, connector_id: str) -> None:
        """Before start: the connector is held by another node; a stand-in takes its place."""
        connector = self._connector(connector_id)
        self.connectors[connector_id] = StoppedConnector(
            connector_id, connector.channel, self.clock.time()
        )

    def forget_queue(self) -> None:
        """Cut off from the store: drop what memory queues (the store still has it all)."""
        self.dispatcher.clear()
        self.live.clear()

    def wake_outbox(self) -> None:
        """Another node wrote outbox items: claim now rather than at the next poll."""
        for wake in self._outbox_wakers:
            wake()

    def _connector(self, connector_id: str) -> Connector:
        connector = self.connectors.get(connector_id)
        if connector is None:
            raise GatewayError("not_found", f"no running connector {connector_id!r}")
        return connector

    # -- tables and the outbox at runtime ------------------------------------------------------

    async def reload_routes(self) -> None:
        """Read the routes, carrier prefixes and ported numbers from the store again into the
        one router that acceptance, dispatch and fallbacks hold (no restart needed)."""
        router = self.router
        if not isinstance(router, EngineRouter):
            raise GatewayError("unavailable", "this gateway's router is not read from the store")
        fresh = await EngineRouter.load(self.store, router.default_country)
        router.routes = fresh.routes
        router.carriers.replace_with(fresh.carriers)

    async def reload_prices(self) -> None:
        """Read the price list from the store again (no restart needed)."""
        self.billing.prices = PriceList(await self.store.list_prices())

    async def _reload_opt_outs(self) -> None:
        await self.opt_outs.load(self.store)

    async def replay_dead_letters(self, ids: Sequence[str]) -> int:
        """Make dead letters due again and wake the outbox consumers to take them now."""
        count = await self.admin.replay(list(ids))
        if count:
            for wake in self._outbox_wakers:
                wake()
        return count

    # -- for interfaces ------------------------------------------------------------------------

    async def accept(
        self,
        account: Account,
        commands: Sequence[SendCommand],
        record: Callable[[list[Message | GatewayError]], Change] | None = None,
    ) -> list[Message | GatewayError]:
        """`Acceptance.accept`, while the engine runs (else GatewayError("unavailable"))."""
        self._check_running()
        return await self.acceptance.accept(account, commands, record)

    def keep_parts(self, changes: Sequence[SubmittedPart | SubmittedPartsTaken]) -> Awaitable[None]:
        """Store parts of a message submitted in several PDUs (or give them up); the result is
        done once committed. Queued for the store at once, so a message accepted later from
        its parts (which deletes them in its own write) is written after them."""
        self._check_running()
        return committed(self.writer.add(changes))

    def reject_acknowledged(
        self, account: Account, command: SendCommand, error: GatewayError, changes: list[Change]
    ) -> Awaitable[None]:
        """`Acceptance.reject_acknowledged`: done once committed."""
        self._check_running()
        return committed(self.acceptance.reject_acknowledged(account, command, error, changes))

    def _check_running(self) -> None:
        """GatewayError("unavailable") unless the engine is started and not stopping: what
        comes in then could not be dispatched."""
        if self._stopping or not self.ready.is_set():
            raise GatewayError("unavailable")

    async def capability(self, account: Account, to: str) -> bool:
        """Whether `to` can receive RCS from the account's bot (the connector caches answers);
        GatewayError "rcs_unavailable" when the account has no bot or no RCS connector could
        tell, "invalid_destination" for a number that is not one."""
        self._check_running()
        if not account.bot_id:
            raise GatewayError("rcs_unavailable", "the account has no RCS bot")
        e164, _ = self.router.destination(to)
        capable = await self.acceptance.capability(account, e164)
        if capable is None:
            raise GatewayError("rcs_unavailable", "no RCS connector could tell")
        return capable

    def preview(self, account: Account, command: SendCommand) -> Message:
        return self.acceptance.preview(account, command)

    async def reload_balances(self, unless_within: float = 0.0) -> bool:
        """Read the prepaid balances from the store again (False if done less than
        `unless_within` seconds ago)."""
        return await self.acceptance.reload_balances(unless_within)

    async def cancel(self, account: Account, message_id: str) -> Message:
        return await self.lifecycle.cancel(account, message_id)

    async def cancel_tag(self, account: Account, tag: str) -> tuple[int, int]:
        return await self.lifecycle.cancel_tag(account, tag)

    async def replace(self, account: Account, message_id: str, command: ReplaceCommand) -> Message:
        return await self.lifecycle.replace(account, message_id, command)

    async def set_text(self, account: Account, message_id: str, text: str) -> Message:
        return await self.lifecycle.set_text(account, message_id, text)

    async def delete(self, account: Account, message_id: str) -> None:
        await self.lifecycle.delete(account, message_id)
