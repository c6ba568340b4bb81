"""The fault campaign's scenarios. Each builds its rig, runs a steady load, injects its fault,
heals it, lets everything settle, and returns its `Result`. `Sizes` holds the counts and
durations: the full campaign's, or the short one `make test` runs."""

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg

from smsgate.bench.faults_load import Callbacks
from smsgate.bench.faults_nodes import NodeSettings
from smsgate.bench.faults_postgres import PrivatePostgres
from smsgate.bench.faults_proxy import PartitionProxy
from smsgate.bench.faults_rig import Result, Rig, read_updated


@dataclass(frozen=True)
class Sizes:
    rate: float  # messages per second offered
    settle: float  # seconds the books wait for everything to be final
    kill_gap: float  # seconds between the kills (and before the first)
    bind_drop_every: float
    bind_drop_for: float  # seconds of load under bind drops
    throttle_every: float
    throttle_burst: float
    throttle_for: float
    pg_restarts: int
    outage: float  # the callback receiver's downtime, already compressed
    compression: float  # by how much the outbox schedule and the outage were scaled down
    partition: float
    before: float  # seconds of load before a fault
    outbox_lease: float  # [callbacks] lease of the nodes
    lease_ttl: float  # the nodes' lease_ttl (a cluster's takeover time)


FULL = Sizes(
    rate=100,
    settle=180,
    kill_gap=15,
    bind_drop_every=10,
    bind_drop_for=45,
    throttle_every=5,
    throttle_burst=1.5,
    throttle_for=30,
    pg_restarts=2,
    outage=30,  # 10 minutes at 1/20
    compression=20,
    partition=30,
    before=5,
    outbox_lease=60,  # the default
    lease_ttl=10,  # the default
)
SHORT = Sizes(
    rate=40,
    settle=60,
    kill_gap=3,
    bind_drop_every=1.5,
    bind_drop_for=3.5,
    throttle_every=1.5,
    throttle_burst=0.5,
    throttle_for=3.5,
    pg_restarts=1,
    outage=1,  # 10 minutes at 1/600
    compression=600,
    partition=3,
    before=1.0,
    outbox_lease=3,
    lease_ttl=2,
)


class Campaign:
    """What the scenarios of one run share: a working directory, the sizes, and one private
    PostgreSQL (a database per scenario), started on first use."""

    def __init__(self, workdir: Path, sizes: Sizes) -> None:
        self.workdir = workdir
        self.sizes = sizes
        self.postgres: PrivatePostgres | None = None

    async def database(self, name: str) -> str:
        """A fresh database for scenario `name` on the run's PostgreSQL; its URL."""
        if self.postgres is None:
            self.postgres = PrivatePostgres("faults")
            await asyncio.to_thread(self.postgres.start)
        if not self.postgres.restartable:  # a shared server: the run's database is fresh
            return self.postgres.url
        database = f"faults_{name}_{secrets.token_hex(3)}"
        conn = await asyncpg.connect(self.postgres.url, timeout=10)
        try:
            await conn.execute(f'CREATE DATABASE "{database}"')
        finally:
            await conn.close()
        return self.postgres.url.rsplit("/", 1)[0] + f"/{database}"

    def close(self) -> None:
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres.cleanup()


def _proxied(url: str, port: int) -> str:
    """The DSN with its host and port replaced by the proxy's."""
    head, tail = url.split("@", 1)
    database = tail.split("/", 1)[1]
    return f"{head}@127.0.0.1:{port}/{database}"


async def _run(rig: Rig, work: Callable[[Rig], Awaitable[None]], settle: float) -> Result:
    try:
        await rig.open()
        await work(rig)
        ledger, statuses, callbacks = await rig.settle(settle)
    finally:
        await rig.close()
    rig.book(ledger, statuses, callbacks)
    return rig.result


def _recovery(rig: Rig, moments: list[float], what: str) -> None:
    """The longest time from one of `moments` to the first delivered callback after it (the
    moments after the load's last request left out: nothing new was sent to deliver)."""
    callbacks = Callbacks.of(rig.receiver)
    waits = []
    last = rig.load.last_attempt if rig.load is not None else 0.0
    for moment in moments:
        if moment > last:
            continue
        first = callbacks.first_delivery_after(moment)
        if first is not None:
            waits.append(first - moment)
    if waits:
        rig.result.recovery_s = round(max(waits), 2)
        rig.result.recovery_of = what


# -- the scenarios ------------------------------------------------------------------------------


async def node_kill(c: Campaign) -> Result:
    """kill -9 one of three nodes under load, then a second one: in a cluster, the node
    holding the carrier's bind, then the one that took it over."""
    s = c.sizes
    url = await c.database("node_kill")
    rig = Rig(
        "node_kill",
        c.workdir,
        outbox_lease=s.outbox_lease,
        lease_ttl=s.lease_ttl,
        store_url=url,
        node_urls=[url] * 3,
    )
    kills: list[tuple[int, float, float]] = []  # victim, monotonic and wall-clock time

    async def work(rig: Rig) -> None:
        load = rig.start_load(s.rate, int(s.rate * (s.before + 2 * s.kill_gap + 2)))
        for turn in range(2):
            await asyncio.sleep(s.kill_gap if turn else s.before)
            holder = await rig.bind_holder()
            alive = [n for n in rig.nodes if n.up]
            victim = holder if holder is not None else alive[0]
            await rig.kill_node(victim)
            kills.append((rig.nodes.index(victim), time.monotonic(), time.time()))
            rig.result.notes.append(
                f"killed {victim.name}" + (" (the bind's holder)" if holder is not None else "")
            )
        await load.wait_done(2 * s.kill_gap + 30)

    result = await _run(rig, work, s.settle)
    # takeover: from a kill to the last of the dead node's messages final in the store (its
    # updated_at, the nodes' wall clock); and to the last of their final callbacks, which
    # also waits for the outbox items the dead node had claimed (their lease)
    assert rig.load is not None
    updated = await read_updated(url)
    callbacks = Callbacks.of(rig.receiver)
    in_store, by_callback = [], []
    for victim, at, wall in kills:
        orphans = rig.load.ledger.accepted_by(victim, at)
        in_store += [updated[i] - wall for i in orphans if updated.get(i, 0) > wall]
        finals = [callbacks.final_at(i) for i in orphans]
        by_callback += [f - at for f in finals if f is not None and f > at]
    if in_store:
        result.recovery_s = round(max(in_store), 2)
        result.recovery_of = "kill to the dead node's last message final in the store (takeover)"
    else:
        result.notes.append("no message the dead nodes had accepted changed after the kill")
    if by_callback:
        result.notes.append(
            f"kill to the dead node's last final callback {max(by_callback):.1f} s"
            f" (outbox lease {s.outbox_lease:g} s)"
        )
    return result


def _sqlite_rig(c: Campaign, name: str, **options: Any) -> Rig:
    """One node on a SQLite file of the scenario's name."""
    db = str(c.workdir / f"{name}.db")
    return Rig(
        name, c.workdir, outbox_lease=c.sizes.outbox_lease, store_url=db, node_urls=[db], **options
    )


async def bind_drops(c: Campaign) -> Result:
    """The carrier drops every bind every N seconds."""
    s = c.sizes
    rig = _sqlite_rig(
        c,
        "bind_drops",
        carrier_options=["--drop-every", str(s.bind_drop_every)],
    )

    async def work(rig: Rig) -> None:
        load = rig.start_load(s.rate, int(s.rate * s.bind_drop_for))
        await load.wait_done(s.bind_drop_for + 30)

    result = await _run(rig, work, s.settle)
    drops = int((time.monotonic() - rig.carrier_started) // s.bind_drop_every)
    moments = [rig.carrier_started + (k + 1) * s.bind_drop_every for k in range(drops)]
    _recovery(rig, moments, "drop to delivery")
    result.notes.append(f"bind dropped every {s.bind_drop_every:g} s")
    return result


async def throttle_bursts(c: Campaign) -> Result:
    """The carrier answers ESME_RTHROTTLED to everything in bursts."""
    s = c.sizes
    rig = _sqlite_rig(
        c,
        "throttle",
        carrier_options=[
            "--throttle-every",
            str(s.throttle_every),
            "--throttle-burst",
            str(s.throttle_burst),
        ],
    )

    async def work(rig: Rig) -> None:
        load = rig.start_load(s.rate, int(s.rate * s.throttle_for))
        await load.wait_done(s.throttle_for + 30)

    result = await _run(rig, work, s.settle)
    ends = [
        rig.carrier_started + (k + 1) * s.throttle_every + s.throttle_burst
        for k in range(int(s.throttle_for // s.throttle_every))
    ]
    _recovery(rig, ends, "burst end to delivery")
    result.notes.append(
        f"ESME_RTHROTTLED to every submit for {s.throttle_burst:g} s every {s.throttle_every:g} s"
        f"; carrier throttled {rig.carrier_counters.get('throttled', 0)} submits"
    )
    return result


async def pg_restart(c: Campaign) -> Result:
    """PostgreSQL restarted (pg_ctl restart -m fast) under load."""
    s = c.sizes
    url = await c.database("pg_restart")
    assert c.postgres is not None
    if not c.postgres.restartable:
        return Result("pg_restart", "postgres", skipped=c.postgres.why_not)
    postgres = c.postgres
    rig = Rig(
        "pg_restart", c.workdir, outbox_lease=c.sizes.outbox_lease, store_url=url, node_urls=[url]
    )
    moments: list[float] = []

    async def work(rig: Rig) -> None:
        duration = s.before * (s.pg_restarts + 1) + 2
        load = rig.start_load(s.rate, int(s.rate * duration))
        for _ in range(s.pg_restarts):
            await asyncio.sleep(s.before)
            await asyncio.to_thread(postgres.restart)
            moments.append(time.monotonic())
        await load.wait_done(duration + 30)

    result = await _run(rig, work, s.settle)
    _recovery(rig, moments, "restart done to delivery")
    result.notes.append(f"{s.pg_restarts} restarts (pg_ctl restart -m fast)")
    return result


async def callback_outage(c: Campaign) -> Result:
    """The callback receiver down for 10 minutes, compressed."""
    s = c.sizes
    # the outbox's schedule scaled down by the same factor as the outage: the same number of
    # retries fall inside it as in ten real minutes with the default schedule
    rig = _sqlite_rig(
        c,
        "callback_outage",
        first_retry=2.0 / s.compression,
        max_delay=3600.0 / s.compression,
    )
    back: list[float] = []

    async def work(rig: Rig) -> None:
        port = int(rig.callback_url.split(":")[2].split("/")[0])
        load = rig.start_load(s.rate, int(s.rate * (s.before + s.outage + 2)))
        await asyncio.sleep(s.before)
        await rig.receiver.stop()
        await asyncio.sleep(s.outage)
        await rig.receiver.start(port)
        back.append(time.monotonic())
        await load.wait_done(s.outage + 30)

    result = await _run(rig, work, s.settle + s.outage)
    firsts = [
        at
        for statuses in Callbacks.of(rig.receiver).by_message.values()
        for at in statuses.values()
        if at > back[0]
    ]
    if firsts:
        result.recovery_s = round(min(firsts) - back[0], 2)
        result.recovery_of = "receiver back to its first callback"
    result.notes.append(
        f"receiver down {s.outage:g} s = 10 min / {s.compression:g}; outbox first_retry and "
        f"max_delay scaled by 1/{s.compression:g}"
    )
    return result


async def sqlite_full(c: Campaign) -> Result:
    """The SQLite file reaches its size limit under load; then it gets room again."""
    s = c.sizes
    db = c.workdir / "sqlite_full.db"
    rig = Rig(
        "sqlite_full",
        c.workdir,
        outbox_lease=c.sizes.outbox_lease,
        store_url=str(db),
        node_urls=[str(db)],
    )
    moments: list[float] = []

    async def work(rig: Rig) -> None:
        node = rig.nodes[0]
        # the limit: what the schema and the account take now, plus a little room
        await node.stop()
        limit = max(65536, db.stat().st_size + 96 * 1024)
        node.settings = _with_top(node.settings, f"sqlite_max_bytes = {limit}")
        await rig.start_node(node)
        load = rig.start_load(s.rate, int(s.rate * 60))
        deadline = time.monotonic() + 45
        while not any("503" in k for k in load.ledger.refused) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(s.before)  # keep pushing against the full file for a while
        alive = node.up
        await load.stop()
        await node.stop()
        rig.result.notes.append(
            f"limit {limit // 1024} KiB; node {'alive' if alive else 'DEAD'} while full"
        )
        node.settings = _with_top(node.settings, "")
        # stopped while its writes failed: the parts it sent whose `sent` could not be written
        # go out again, as after a crash: the bound counts this restart as a bind lost
        rig.extra_binds_lost += 1
        await rig.start_node(node)
        moments.append(time.monotonic())
        # more load once there is room: it must be accepted and delivered again
        more = rig.start_load_after(load, s.rate, int(s.rate * s.before))
        await more.wait_done(s.before + 30)

    result = await _run(rig, work, s.settle)
    _recovery(rig, moments, "restart with room to delivery")
    return result


def _with_top(settings: NodeSettings, top: str) -> NodeSettings:
    return replace(settings, extra_top=top)


async def sqlite_corrupt(c: Campaign) -> Result:
    """A damaged SQLite file: `smsgate serve` must refuse to start, saying which file and what
    to do, without a traceback."""
    db = c.workdir / "corrupt.db"
    rig = Rig(
        "sqlite_corrupt",
        c.workdir,
        outbox_lease=c.sizes.outbox_lease,
        store_url=str(db),
        node_urls=[str(db)],
    )
    result = rig.result
    try:
        await rig.open()
    finally:
        await rig.close()
    with db.open("r+b") as damaged:  # the schema page and what follows it, overwritten
        damaged.seek(100)
        damaged.write(os.urandom(8192))
    node = rig.nodes[0]
    ran = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "smsgate", "serve", "--config", str(node.config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = ran.stderr.strip()
    clear = ran.returncode != 0 and str(db) in said and "Traceback" not in said
    result.notes.append(f"exit {ran.returncode}: {said[-600:]}")
    if not clear:
        result.lost = 1  # counted as a failure: the refusal was not clear
        result.lost_ids = ["refusal not clear"]
    return result


async def partition(c: Campaign) -> Result:
    """One of two nodes cut from PostgreSQL (every connection dropped, new ones refused) for a
    while, then healed."""
    s = c.sizes
    url = await c.database("partition")
    assert c.postgres is not None
    proxy = PartitionProxy("127.0.0.1", c.postgres.port)
    await asyncio.to_thread(proxy.start)
    rig = Rig(
        "partition",
        c.workdir,
        outbox_lease=c.sizes.outbox_lease,
        lease_ttl=s.lease_ttl,
        store_url=url,
        node_urls=[_proxied(url, proxy.port), url],
    )
    rig.in_order = True  # node 0, the one cut off, holds the carrier's bind in a cluster
    healed: list[float] = []

    async def work(rig: Rig) -> None:
        duration = s.before * 2 + s.partition
        load = rig.start_load(s.rate, int(s.rate * duration))
        await asyncio.sleep(s.before)
        dropped = await asyncio.to_thread(proxy.cut)
        await asyncio.sleep(s.partition)
        await asyncio.to_thread(proxy.heal)
        healed.append(time.monotonic())
        rig.result.notes.append(
            f"node 0 cut from PostgreSQL {s.partition:g} s ({dropped} connection ends dropped,"
            f" {proxy.refused} refused)"
        )
        await load.wait_done(duration + 30)

    try:
        result = await _run(rig, work, s.settle)
    finally:
        await asyncio.to_thread(proxy.stop)
    _recovery(rig, healed, "heal to delivery")
    return result


SCENARIOS: dict[str, Callable[[Campaign], Awaitable[Result]]] = {
    "node_kill": node_kill,
    "bind_drops": bind_drops,
    "throttle": throttle_bursts,
    "pg_restart": pg_restart,
    "callback_outage": callback_outage,
    "sqlite_full": sqlite_full,
    "sqlite_corrupt": sqlite_corrupt,
    "partition": partition,
}
