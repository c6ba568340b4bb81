"""One scenario's set-up and its books: the simulated carrier (a process of its own), the
nodes, the callback receiver, the load, and at the end the figures the campaign prints."""

import asyncio
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import asyncpg

from smsgate.bench.faults_load import FINAL, Callbacks, Ledger, Load
from smsgate.bench.faults_nodes import CLUSTERED, Node, NodeSettings
from smsgate.bench.processes import Child, create_account, start_carrier, stop
from smsgate.bench.receiver import CallbackReceiver
from smsgate.store import is_postgres_url

# a node's log lines kept for a scenario that went wrong: warnings, errors, and the last line
# of each traceback (the exception)
_NOTEWORTHY: Final = re.compile(r"WARNING|ERROR|^[\w.]*(Error|Exception)\b")


@dataclass
class Result:
    """One scenario's figures (the table's row; `--json` prints them all)."""

    scenario: str
    store: str = ""
    nodes: int = 0
    accepted: int = 0
    final: int = 0
    lost: int = 0
    duplicated: int = 0
    duplicate_bound: int = 0  # the window times the binds lost
    binds_lost: int = 0
    callbacks_expected: int = 0
    callbacks_delivered: int = 0
    recovery_s: float | None = None
    recovery_of: str = ""  # what recovery_s measures
    refused: dict[str, int] = field(default_factory=dict)  # answers other than 2xx
    unanswered: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    lost_ids: list[str] = field(default_factory=list)
    callbacks_missing_ids: list[str] = field(default_factory=list)
    skipped: str | None = None
    passed: bool = False
    # the nodes' warnings and errors (the last few of each), for a scenario that lost messages
    node_errors: dict[str, list[str]] = field(default_factory=dict)

    def judge(self) -> None:
        """The targets: nothing accepted lost, duplicates within a window per lost bind,
        every callback delivered."""
        self.passed = self.skipped is None and (
            self.lost == 0
            and self.duplicated <= self.duplicate_bound
            and self.callbacks_delivered == self.callbacks_expected
        )


async def read_updated(db: str) -> dict[str, float]:
    """Every message's last change (wall-clock seconds), from a PostgreSQL store."""
    conn = await asyncpg.connect(db, timeout=10)
    try:
        rows = await conn.fetch("SELECT id, updated_at FROM messages")
    finally:
        await conn.close()
    return {str(r["id"]): float(r["updated_at"]) for r in rows}


async def read_statuses(db: str) -> dict[str, str]:
    """Every message's status, read from the store itself."""
    if is_postgres_url(db):
        conn = await asyncpg.connect(db, timeout=10)
        try:
            rows = await conn.fetch("SELECT id, status FROM messages")
        finally:
            await conn.close()
        return {str(r["id"]): str(r["status"]) for r in rows}

    def read() -> dict[str, str]:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return {str(i): str(s) for i, s in conn.execute("SELECT id, status FROM messages")}
        finally:
            conn.close()

    return await asyncio.to_thread(read)


class Rig:
    """A scenario's parts; `close` stops whatever is still running."""

    def __init__(
        self,
        name: str,
        workdir: Path,
        *,
        store_url: str,
        node_urls: Sequence[str],
        carrier_options: Sequence[str] = (),
        window: int = 50,
        first_retry: float = 2.0,
        max_delay: float = 3600.0,
        outbox_lease: float = 60.0,
        lease_ttl: float = 10.0,
        extra_top: str = "",
    ) -> None:
        self.name = name
        self.workdir = workdir
        self.store_url = store_url  # where the books are read (never through a proxy)
        self.node_urls = list(node_urls)
        self.carrier_options = list(carrier_options)
        self.window = window
        self.first_retry = first_retry
        self.max_delay = max_delay
        self.outbox_lease = outbox_lease
        self.lease_ttl = lease_ttl
        self.extra_top = extra_top
        self.result = Result(name, "postgres" if is_postgres_url(store_url) else "sqlite")
        self.carrier: Child | None = None
        self.carrier_started = 0.0
        self.carrier_counters: dict[str, int] = {}
        self.nodes: list[Node] = []
        self.receiver = CallbackReceiver()
        self.callback_url = ""
        self.key = ""
        self.starts = 0  # node processes started (each binds once)
        self.kills = 0  # node processes killed (each lost its bind)
        self.load: Load | None = None
        self.in_order = False  # start the nodes one after the other
        self.extra_binds_lost = 0  # restarts that lose unwritten state as a crash does
        self.began = time.monotonic()

    async def open(self) -> None:
        password = secrets.token_hex(4)
        self.carrier, port = await asyncio.to_thread(
            start_carrier, 0.05, password, 0.0, *self.carrier_options
        )
        self.carrier_started = time.monotonic()
        settings = NodeSettings(
            carrier_port=port,
            carrier_password=password,
            window=self.window,
            first_retry=self.first_retry,
            max_delay=self.max_delay,
            outbox_lease=self.outbox_lease,
            lease_ttl=self.lease_ttl,
            extra_top=self.extra_top,
        )
        self.nodes = [
            Node(f"{self.name}-{i}", url, settings, self.workdir)
            for i, url in enumerate(self.node_urls)
        ]
        self.result.nodes = len(self.nodes)
        config = self.nodes[0].write_config()
        self.key = await asyncio.to_thread(create_account, config, f"faults-{self.name}")
        base = await self.receiver.start()
        self.callback_url = f"{base}/callbacks"
        if self.in_order:  # the first node up takes the carrier's bind lease
            for node in self.nodes:
                await self.start_node(node)
        else:
            await asyncio.gather(*(self.start_node(n) for n in self.nodes))

    async def start_node(self, node: Node) -> None:
        await node.start()
        self.starts += 1

    async def kill_node(self, node: Node) -> None:
        await node.kill()
        self.kills += 1

    def fresh_binds(self) -> int:
        """Binds the carrier sees without any being lost: one per node start, or in a cluster
        (several nodes, one bind lease) the first holder's one; any more replaced a lost one."""
        if CLUSTERED and len(self.nodes) > 1 and is_postgres_url(self.store_url):
            return 1
        return self.starts

    async def bind_holder(self) -> Node | None:
        """The node holding the carrier's bind lease (None: no cluster, or no holder)."""
        if not (CLUSTERED and is_postgres_url(self.store_url)):
            return None
        conn = await asyncpg.connect(self.store_url, timeout=10)
        try:
            holder = await conn.fetchval(
                "SELECT node_id FROM leases WHERE name = 'connector:carrier'"
            )
        finally:
            await conn.close()
        return next((n for n in self.nodes if n.name == holder and n.up), None)

    def start_load(self, rate: float, limit: int) -> Load:
        self.load = Load(self.nodes, self.key, self.callback_url, self.name, rate=rate, limit=limit)
        self.load.start()
        return self.load

    def start_load_after(self, previous: Load, rate: float, limit: int) -> Load:
        """More load on the books of `previous` (stopped), from its next index."""
        self.load = Load(
            self.nodes,
            self.key,
            self.callback_url,
            self.name,
            rate=rate,
            limit=limit,
            ledger=previous.ledger,
            first=previous.next_index,
        )
        self.load.start()
        return self.load

    async def settle(self, timeout: float) -> tuple[Ledger, dict[str, str], Callbacks]:
        """Stop the load, then wait until every accepted message is final in the store and its
        final callback arrived (or `timeout`); the books."""
        assert self.load is not None
        ledger = await self.load.stop()
        deadline = time.monotonic() + timeout
        while True:
            statuses = await read_statuses(self.store_url)
            callbacks = Callbacks.of(self.receiver)
            done = all(statuses.get(i) in FINAL for i in ledger.accepted) and all(
                callbacks.final_at(i) is not None for i in ledger.accepted
            )
            if done or time.monotonic() > deadline:
                return ledger, statuses, callbacks
            await asyncio.sleep(0.5)

    async def close(self) -> None:
        await asyncio.gather(*(n.stop() for n in self.nodes), return_exceptions=True)
        if self.carrier is not None and self.carrier.poll() is None:
            output = await asyncio.to_thread(stop, self.carrier)
            lines = output.strip().splitlines()
            try:
                self.carrier_counters = dict(json.loads(lines[-1])) if lines else {}
            except ValueError:
                self.carrier_counters = {}
        await self.receiver.stop()

    def book(self, ledger: Ledger, statuses: dict[str, str], callbacks: Callbacks) -> Result:
        """Fill the result from the books (after `close`, which reads the carrier's counters)."""
        r = self.result
        r.accepted = len(ledger.accepted)
        r.final = sum(1 for i in ledger.accepted if statuses.get(i) in FINAL)
        lost = sorted(i for i in ledger.accepted if statuses.get(i) not in FINAL)
        r.lost, r.lost_ids = len(lost), lost[:10]
        r.refused = dict(ledger.refused)
        r.unanswered = ledger.unanswered
        r.duplicated = self.carrier_counters.get("duplicates", 0)
        binds = self.carrier_counters.get("binds", 0)
        r.binds_lost = max(0, binds - self.fresh_binds()) + self.extra_binds_lost
        r.duplicate_bound = self.window * r.binds_lost
        r.callbacks_expected = r.accepted
        missing = sorted(i for i in ledger.accepted if callbacks.final_at(i) is None)
        r.callbacks_delivered = r.accepted - len(missing)
        r.callbacks_missing_ids = missing[:10]
        r.seconds = round(time.monotonic() - self.began, 1)
        by_status: dict[str, int] = {}
        for i in ledger.accepted:
            s = statuses.get(i, "missing")
            by_status[s] = by_status.get(s, 0) + 1
        if set(by_status) - {"delivered"}:
            r.notes.append(f"statuses {by_status}")
        if r.lost or missing or any(k.startswith("500") for k in r.refused):
            for node in self.nodes:
                lines = [ln for ln in node.log.splitlines() if _NOTEWORTHY.search(ln)]
                r.node_errors[node.name] = lines[-30:]
        return r
