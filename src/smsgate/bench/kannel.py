"""`smsgate bench kannel`: smsgate beside Kannel 1.4.5, measured in one run.

Each workload starts both gateways fresh, each against a simulated carrier of its own (the same
program with the same settings), with one upstream SMPP bind of window 100, then runs rounds
that alternate between them (the first gateway of a round alternates too), so that load from
elsewhere on the machine falls on both alike. The load generator is this process.

- `mt`: one message per HTTP request over `--connections` connections, kept alive
  (`mt-keepalive`) and one new connection per request (`mt-close`): smsgate's
  `POST /v1/messages` beside Kannel's smsbox `GET /cgi-bin/sendsms`; both ask the carrier for a
  receipt (Kannel: dlr-mask 3) and take it. The rate is requests accepted per second.
- `mo`: the carrier sends MO deliver_sm (window 100) and each gateway passes every one on to a
  local HTTP receiver: smsgate's MO webhook beside Kannel's sms-service get-url. The rate is
  MO at the receiver per second, from the first deliver_sm to the last request received.
- `bind50`: as `mt-keepalive`, the carrier answering each submit_sm after 50 ms (a ceiling of
  2,000/s for a window of 100). The rate is messages the carrier accepted per second.

After its load each round waits until the gateway has passed on everything it accepted (to
the carrier and its receipts back, or to the receiver), so the next starts from a quiet
gateway and a round's CPU is the whole cost of its messages. Reported per workload and
gateway: the best and median round's rate, the median rate at which the gateway answered
(for `bind50`, what the carrier's window was fed at), the median CPU seconds per 10,000
messages of the gateway's own processes (bearerbox and smsbox; smsgate serve and its SQLite
writer), and the ratio smsgate / Kannel of the medians (of the rates accepted and end to end,
and of the CPU); with what each gateway accepted and delivered in all, and the machine's pace
before and after.

`--backend postgres` keeps smsgate's store in a new schema on the PostgreSQL server at `--pg`
(dropped afterwards); smsgate's CPU then includes the PostgreSQL server's processes during its
rounds, as Kannel's store is in its own process.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from smsgate.bench.kannel_boxes import (
    BEARERBOX,
    MISSING,
    SMSBOX,
    STORE_NOTE,
    Kannel,
    KannelPorts,
    kannel_config,
    sendsms_path,
)
from smsgate.bench.mo_load import MO_DESTINATION, MoReceiver, mo_carrier, send_burst, wait_bound
from smsgate.bench.processes import (
    PACE_MEANING,
    STORE_NOTES,
    Child,
    DatabaseCpu,
    HttpClient,
    bench_database,
    cpu_seconds,
    create_account,
    gateway_config,
    http_address,
    pace,
    receipts_applied,
    shown,
    start,
    start_carrier,
    stop,
    stop_carrier,
)
from smsgate.config import DURABILITY
from smsgate.runtime import run_async

WORKLOADS = ("mt", "mo", "bind50")
GATEWAYS = ("kannel", "smsgate")
WINDOW = 100  # the upstream bind's outstanding submit_sm, both gateways
PASSWORD = "carrier1"  # SMPP passwords have at most 8 characters
_START_TIMEOUT = 60.0
_POLL = 0.05
_POLL_MIN = 0.002  # seconds: the closest asks as a count nears its end


@dataclass
class Round:
    workload: str
    gateway: str
    round: int
    accepted: int
    per_s: float  # the workload's rate (see the module's description)
    accepted_per_s: float  # requests (or deliver_sm) accepted per second
    end_to_end_per_s: float  # all of them passed on, per second
    cpu_s_per_10k: float
    # connections the kernel dropped because a listening socket's backlog was full, machine-wide
    # during the round: Kannel's HTTP server listens with a backlog of 10, and each dropped
    # connect waits a second for its SYN to be sent again
    listen_drops: int = 0


def listen_drops() -> int:
    """TcpExt ListenDrops from /proc/net/netstat (0 where it cannot be read)."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            row = dict(zip(names.split(), values.split(), strict=False))
            return int(row.get("ListenDrops", 0))
    return 0


@dataclass
class Side:
    """One gateway under one workload: how to load it and how far it got."""

    name: str
    pids: list[int]
    host: str
    port: int
    headers: dict[str, str] | None  # the load's credential headers (None: a bearer key)
    key: str
    request: Callable[[int], tuple[str, str, bytes, str, int]]
    passed_on: Callable[[], Awaitable[int]]  # messages delivered onwards so far
    submitted: Callable[[], Awaitable[int]]  # MT the carrier accepted so far
    accepted: int = 0
    rounds: list[Round] = field(default_factory=list)
    store_cpu: Callable[[], float] | None = None  # a store in processes of its own

    def cpu(self) -> float:
        own = sum(cpu_seconds(pid) for pid in self.pids)
        return own + (self.store_cpu() if self.store_cpu is not None else 0.0)


def _native(i: int) -> tuple[str, str, bytes, str, int]:
    body = {"to": f"+8190{i % 100_000_000:08d}", "text": f"bench message {i}"}
    return "POST", "/v1/messages", json.dumps(body).encode(), "application/json", 202


def _sendsms(i: int) -> tuple[str, str, bytes, str, int]:
    return "GET", sendsms_path(i), b"", "text/plain", 202


async def _http_round(side: Side, first: int, count: int, connections: int, keepalive: bool) -> int:
    """`count` requests numbered from `first`, one message each; how many were accepted.
    RuntimeError naming the answers when any was refused: a round's rate counts only what
    was accepted, and a gateway that refused is no figure to compare."""
    numbers = iter(range(first, first + count))
    accepted = 0
    refused: Counter[int] = Counter()

    async def worker() -> None:
        nonlocal accepted
        client = HttpClient(side.host, side.port, side.key, side.headers)
        try:
            if keepalive:
                await client.open()
            for i in numbers:
                method, path, body, content_type, ok = side.request(i)
                if not keepalive:
                    client = HttpClient(side.host, side.port, side.key, side.headers)
                    await client.open()
                status, _ = await client.request(method, path, body, content_type)
                accepted += status == ok
                if status != ok:
                    refused[status] += 1
                if not keepalive:
                    client.close()
        finally:
            client.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    if refused:
        answers = ", ".join(f"{n} x {status}" for status, n in sorted(refused.items()))
        raise RuntimeError(f"{side.name} refused {count - accepted} of {count} requests: {answers}")
    return accepted


async def _until(done: Callable[[], Awaitable[int]], total: int, timeout: float) -> float:
    """Until `done()` reaches `total`; the time it did (perf_counter). TimeoutError after
    `timeout` seconds. It asks every `_POLL` seconds, and more often as the count nears
    `total` at the rate seen between its last two answers: at a fixed interval the time it
    returns would be half an interval late on average, 1% of a round of a few seconds."""
    async with asyncio.timeout(timeout):
        count, at, wait = await done(), time.perf_counter(), _POLL
        while count < total:
            await asyncio.sleep(wait)
            before, since = count, at
            count, at = await done(), time.perf_counter()
            wait = _POLL
            if before < count < total:
                # half the time left at that rate: a few more asks, the last one just after
                left = (total - count) * (at - since) / (count - before)
                wait = max(_POLL_MIN, min(_POLL, left / 2))
    return at


def _round(side: Side, workload: str, number: int, count: int, times: tuple[float, ...]) -> Round:
    started, accepted_at, ended, cpu = times
    return Round(
        workload=workload,
        gateway=side.name,
        round=number,
        accepted=count,
        per_s=0.0,
        accepted_per_s=round(count / max(1e-9, accepted_at - started), 1),
        end_to_end_per_s=round(count / max(1e-9, ended - started), 1),
        cpu_s_per_10k=round(cpu * 10_000 / max(1, count), 3),
    )


async def _mt_round(
    side: Side, workload: str, number: int, args: argparse.Namespace, keepalive: bool
) -> Round:
    drops, cpu, started = listen_drops(), side.cpu(), time.perf_counter()
    accepted = await _http_round(side, side.accepted, args.messages, args.connections, keepalive)
    accepted_at = time.perf_counter()
    side.accepted += accepted
    at_carrier = await _until(side.submitted, side.accepted, args.timeout)
    ended = await _until(side.passed_on, side.accepted, args.timeout)
    times = (started, accepted_at, ended, side.cpu() - cpu)
    result = _round(side, workload, number, accepted, times)
    result.listen_drops = listen_drops() - drops
    # bind50 is bound by the carrier: the rate it accepted them at is the figure (their
    # receipts come 50 ms later still); mt, what was accepted
    if workload == "bind50":
        result.per_s = round(accepted / max(1e-9, at_carrier - started), 1)
    else:
        result.per_s = result.accepted_per_s
    return result


# -- the gateways ----------------------------------------------------------------------------


def _smsgate_config(
    workdir: Path, db: str, carrier_port: int, capacity: int, durability: str
) -> Path:
    config = gateway_config(
        workdir / "smsgate.toml",
        db=db,
        http_port=0,
        queue=capacity,
        carrier_port=carrier_port,
        connector=f'password = "{PASSWORD}"\nbinds = 1\nwindow = {WINDOW}',
        durability=durability,
    )
    # the MO receiver is on loopback, which callbacks may not reach by default
    config.write_text(config.read_text() + "\n[callbacks]\ndeny_networks = []\n")
    return config


def _smsgate_cli(config: Path, *command: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "smsgate", *command, "--config", str(config)],
        check=True,
        capture_output=True,
        text=True,
    )


async def _metric(client: HttpClient, name: str) -> int:
    _, text = await client.request("GET", "/metrics")
    match = re.search(rb"\n" + name.encode() + rb" (\S+)", text)
    return int(float(match.group(1))) if match else 0


async def _start_smsgate(
    args: argparse.Namespace,
    workdir: Path,
    db: str,
    carrier_port: int,
    capacity: int,
    mo_url: str | None,
) -> tuple[Child, Side]:
    config = _smsgate_config(workdir, db, carrier_port, capacity, args.durability)
    key = create_account(config, "bench")
    if mo_url is not None:
        _smsgate_cli(config, "account", "numbers", "add", "bench", MO_DESTINATION)
        _smsgate_cli(config, "account", "inbound", "bench", "--url", mo_url)
    gateway, banner = await asyncio.to_thread(start, ["serve", "--config", str(config)])
    host, port = http_address(banner)

    async def counts() -> tuple[int, int]:
        # the parts the carrier accepted, and the receipts applied; a connection of its own
        # each time, as one kept open would time out during the other gateway's round
        probe = HttpClient(host, port, key)
        await probe.open()
        try:
            return await _metric(probe, "smsgate_parts_submitted_total"), await receipts_applied(
                probe
            )
        finally:
            probe.close()

    async def passed_on() -> int:
        return min(await counts())

    async def submitted() -> int:
        return (await counts())[0]

    side = Side("smsgate", [gateway.pid], host, port, None, key, _native, passed_on, submitted)
    if args.backend == "postgres":
        side.store_cpu = DatabaseCpu()
    return gateway, side


async def _start_kannel(
    workdir: Path, carrier_port: int, mo_url: str | None, mo_count: Callable[[], int]
) -> tuple[Kannel, Side]:
    directory = workdir / "kannel"
    directory.mkdir()
    ports = KannelPorts.free()
    config = kannel_config(
        directory,
        ports,
        carrier_port=carrier_port,
        carrier_password=PASSWORD,
        window=WINDOW,
        mo_url=mo_url,
    )
    kannel = Kannel(config, ports)
    try:
        await asyncio.to_thread(kannel.wait_online, _START_TIMEOUT)
        kannel.start_smsbox()
        await asyncio.to_thread(kannel.wait_smsbox, _START_TIMEOUT)
        await _wait_listening(ports.sendsms)
    except BaseException:
        kannel.stop()
        raise

    async def passed_on() -> int:
        if mo_url is not None:
            return mo_count()
        status = await asyncio.to_thread(kannel.status)
        return min(status.sent, status.dlr_received)

    async def submitted() -> int:
        return (await asyncio.to_thread(kannel.status)).sent

    side = Side(
        "kannel", kannel.pids, "127.0.0.1", ports.sendsms, {}, "", _sendsms, passed_on, submitted
    )
    return kannel, side


async def _wait_listening(port: int) -> None:
    async with asyncio.timeout(_START_TIMEOUT):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(_POLL)
                continue
            writer.close()
            return


def _order(number: int) -> list[int]:
    """Kannel first in even rounds, smsgate first in odd ones."""
    return [0, 1] if number % 2 == 0 else [1, 0]


async def _mt_workload(
    args: argparse.Namespace, workdir: Path, db: str, latency: float
) -> dict[str, Any]:
    workloads = ["bind50"] if latency else ["mt-keepalive", "mt-close"]
    capacity = len(workloads) * args.rounds * args.messages + 1000
    # the receipt follows the submit_sm_resp, as a carrier's does
    receipt_delay = latency + 0.05
    carriers = [start_carrier(receipt_delay, PASSWORD, latency) for _ in GATEWAYS]
    kannel: Kannel | None = None
    gateway: Child | None = None
    try:
        kannel, kannel_side = await _start_kannel(workdir, carriers[0][1], None, lambda: 0)
        gateway, smsgate_side = await _start_smsgate(
            args, workdir, db, carriers[1][1], capacity, None
        )
        sides = [kannel_side, smsgate_side]
        for workload in workloads:
            for number in range(args.rounds):
                for index in _order(number):
                    side = sides[index]
                    keepalive = workload != "mt-close"
                    side.rounds.append(await _mt_round(side, workload, number, args, keepalive))
    finally:
        if gateway is not None:
            stop(gateway)
        if kannel is not None:
            kannel.stop()
        counters = [stop_carrier(carrier) for carrier, _ in carriers]
    totals = {
        side.name: {"accepted": side.accepted, "delivered": counters[i]["submitted"]}
        for i, side in enumerate(sides)
    }
    return {"rounds": [r for side in sides for r in side.rounds], "totals": totals}


async def _mo_round(
    side: Side, carrier: Any, receiver: MoReceiver, number: int, args: argparse.Namespace
) -> Round:
    cpu, started = side.cpu(), time.perf_counter()
    burst = await send_burst(carrier, side.accepted, args.messages, WINDOW, args.timeout)
    if burst.accepted != args.messages:
        raise RuntimeError(
            f"{side.name} accepted {burst.accepted} of {args.messages} deliver_sm from the carrier"
        )
    accepted_at = started + burst.seconds
    side.accepted += burst.accepted
    if not await receiver.wait_for(side.accepted, args.timeout):
        raise RuntimeError(
            f"{side.name}: {receiver.count} of {side.accepted} MO reached the receiver "
            f"within {args.timeout:g} s"
        )
    ended = receiver.last_at
    result = _round(
        side, "mo", number, burst.accepted, (started, accepted_at, ended, side.cpu() - cpu)
    )
    result.per_s = result.end_to_end_per_s
    return result


async def _mo_workload(args: argparse.Namespace, workdir: Path, db: str) -> dict[str, Any]:
    capacity = args.rounds * args.messages + 1000
    carriers = [mo_carrier(PASSWORD, WINDOW) for _ in GATEWAYS]
    receivers = [MoReceiver() for _ in GATEWAYS]
    urls = [await r.start() for r in receivers]
    for carrier in carriers:
        await carrier.start()
    kannel: Kannel | None = None
    gateway: Child | None = None
    sides: list[Side] = []
    try:
        kannel, kannel_side = await _start_kannel(
            workdir, carriers[0].config.port, urls[0], lambda: receivers[0].count
        )
        gateway, smsgate_side = await _start_smsgate(
            args, workdir, db, carriers[1].config.port, capacity, urls[1]
        )
        sides = [kannel_side, smsgate_side]
        for carrier in carriers:
            await wait_bound(carrier, _START_TIMEOUT)
        for number in range(args.rounds):
            for index in _order(number):
                round_ = await _mo_round(
                    sides[index], carriers[index], receivers[index], number, args
                )
                sides[index].rounds.append(round_)
    finally:
        if gateway is not None:
            await asyncio.to_thread(stop, gateway)
        if kannel is not None:
            await asyncio.to_thread(kannel.stop)
        for carrier in carriers:
            await carrier.stop()
        for receiver in receivers:
            await receiver.stop()
    totals = {
        side.name: {"accepted": side.accepted, "delivered": receivers[i].count}
        for i, side in enumerate(sides)
    }
    return {"rounds": [r for side in sides for r in side.rounds], "totals": totals}


# -- the report ------------------------------------------------------------------------------


def summary(rounds: list[Round]) -> list[dict[str, Any]]:
    """Per workload: each gateway's best and median rate and median CPU per 10k, and the
    ratio smsgate / Kannel of the median rates (and of the CPU: above 1, smsgate costs more)."""
    rows = []
    for workload in dict.fromkeys(r.workload for r in rounds):
        row: dict[str, Any] = {"workload": workload}
        for gateway in GATEWAYS:
            mine = [r for r in rounds if r.workload == workload and r.gateway == gateway]
            rates = [r.per_s for r in mine]
            row[gateway] = {
                "best_per_s": max(rates, default=0.0),
                "median_per_s": _median(rates, 1),
                # the gateway's answers (bind50: what the carrier's window is fed at)
                "median_accepted_per_s": _median([r.accepted_per_s for r in mine], 1),
                # accepted and passed on (to the carrier with its receipt back, or to the receiver)
                "median_end_to_end_per_s": _median([r.end_to_end_per_s for r in mine], 1),
                "cpu_s_per_10k": _median([r.cpu_s_per_10k for r in mine], 3),
                "listen_drops": sum(r.listen_drops for r in mine),
            }
        theirs, ours = row["kannel"], row["smsgate"]
        row["ratio"] = _ratio(ours, theirs, "median_per_s")
        # Kannel answers from its queue and delivers later; smsgate delivers while it accepts:
        # the rate at which both pass messages on is the other half of the comparison
        row["end_to_end_ratio"] = _ratio(ours, theirs, "median_end_to_end_per_s")
        row["cpu_ratio"] = _ratio(ours, theirs, "cpu_s_per_10k")
        rows.append(row)
    return rows


def _median(values: list[float], digits: int) -> float:
    return round(statistics.median(values), digits) if values else 0.0


def _ratio(ours: dict[str, Any], theirs: dict[str, Any], figure: str) -> float | None:
    return round(ours[figure] / theirs[figure], 3) if theirs[figure] else None


def _table(report: dict[str, Any]) -> str:
    lines = [
        f"{report['rounds']} rounds of {report['messages']:,} per gateway and workload, "
        f"alternating; {report['connections']} connections; one bind, window {WINDOW}",
        f"{'workload':13} {'gateway':8} {'best/s':>8} {'median/s':>9} {'accepted/s':>10} "
        f"{'e2e/s':>7} {'CPU s/10k':>10} {'listen drops':>12}",
    ]
    for row in report["summary"]:
        for gateway in GATEWAYS:
            g = row[gateway]
            lines.append(
                f"{row['workload']:13} {gateway:8} {g['best_per_s']:>8,.0f} "
                f"{g['median_per_s']:>9,.0f} {g['median_accepted_per_s']:>10,.0f} "
                f"{g['median_end_to_end_per_s']:>7,.0f} "
                f"{g['cpu_s_per_10k']:>10.2f} "
                f"{g['listen_drops']:>12,}"
            )
        ratio, e2e, cpu = (
            "-" if row[name] is None else f"{row[name]:.2f}"
            for name in ("ratio", "end_to_end_ratio", "cpu_ratio")
        )
        lines.append(
            f"{'':13} smsgate/Kannel: rate {ratio}, end to end {e2e}, CPU per message {cpu}"
        )
    for name, totals in report["totals"].items():
        lines.append(f"{name}: accepted {totals['accepted']:,}, delivered {totals['delivered']:,}")
    lines += [report["durability"]["smsgate"], report["durability"]["kannel"]]
    paces = report["machine_pace"]
    lines.append(
        f"pace {shown(paces['before'], '.2f')} before, {shown(paces['after'], '.2f')} after"
        f" ({PACE_MEANING})"
    )
    lines.append("a shared machine: rates are noisy; compare the ratios of one run")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every workload asked for; the report."""
    rounds: list[Round] = []
    totals: dict[str, dict[str, int]] = {}
    # the machine's speed drifts by half within a day: a table is read with its pace
    paces = [pace()]
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-kannel-") as tmp:
        for workload in args.workloads:
            workdir = Path(tmp) / workload
            workdir.mkdir()
            with bench_database(args.backend, args.pg, workdir) as database:
                if workload == "mo":
                    result = run_async(_mo_workload(args, workdir, database.url))
                else:
                    latency = args.latency if workload == "bind50" else 0.0
                    result = run_async(_mt_workload(args, workdir, database.url, latency))
            rounds += result["rounds"]
            for name, counts in result["totals"].items():
                mine = totals.setdefault(f"{name} {workload}", {"accepted": 0, "delivered": 0})
                for k, v in counts.items():
                    mine[k] += v
    paces.append(pace())
    return {
        "messages": args.messages,
        "rounds": args.rounds,
        "connections": args.connections,
        "window": WINDOW,
        "bind50_latency_s": args.latency,
        "python": sys.version.split()[0],
        "machine_pace": {"before": paces[0], "after": paces[1]},
        "backend": args.backend,
        "durability": {
            "smsgate": f"smsgate: {STORE_NOTES[args.backend, args.durability]}",
            "kannel": STORE_NOTE,
        },
        "summary": summary(rounds),
        "totals": totals,
        "round_results": [asdict(r) for r in rounds],
    }


def _workloads(value: str) -> list[str]:
    chosen = [w.strip() for w in value.split(",") if w.strip()]
    unknown = sorted(set(chosen) - set(WORKLOADS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"workloads are {', '.join(WORKLOADS)}; not {unknown}")
    return chosen


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smsgate bench kannel",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--workloads", type=_workloads, default=list(WORKLOADS), help="default mt,mo,bind50"
    )
    parser.add_argument("--messages", type=int, default=5_000, help="per round and gateway")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each gateway")
    parser.add_argument("--connections", type=int, default=20, help="HTTP connections (mt)")
    parser.add_argument("--latency", type=float, default=0.05, help="bind50's carrier, seconds")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a round may take")
    parser.add_argument(
        "--durability",
        choices=DURABILITY,
        default="disk",
        help="smsgate's: disk (fsync per commit) or process (survives a process kill only)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--pg",
        default=os.environ.get("SMSGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
        help="the PostgreSQL server for --backend postgres (a schema of the run's own)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if args.messages < 1 or args.rounds < 1 or args.connections < 1 or args.latency <= 0:
        print("messages, rounds and connections at least 1; latency above 0", file=sys.stderr)
        return 2
    if BEARERBOX is None or SMSBOX is None:
        print(MISSING, file=sys.stderr)
        return 1
    report = run(args)
    print(json.dumps(report) if args.json else _table(report))
    return 0
