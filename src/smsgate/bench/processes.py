"""What the whole-system benchmarks share: smsgate processes, their configuration, a lean
HTTP client, and their CPU time."""

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple, TypeVar

import asyncpg

from smsgate.bench.codec import TARGET_REFERENCE_ROUND_TRIPS_PER_S, per_second, reference_workload

_START_TIMEOUT = 60.0
_TAIL_LINES = 1000
PACE_MEANING = (
    "smpp.pdu3 round trips/s here now over the 13,900/s of the machine the reference figures "
    "and targets come from"
)
PACE_NOTE = f"pace: {PACE_MEANING}; 'at ref pace' divides a rate by it"
T = TypeVar("T")
# a run's CPU per node and the database's, for runs on PostgreSQL (run_figures' keys)
NODES_LINE = (
    "{nodes} node(s): CPU s/10k per node {node_cpu_s_per_10k}, "
    "PostgreSQL server {database_cpu_s_per_10k} and {wal_bytes_per_message} bytes of WAL per "
    "message; the carrier got {carrier_submitted} submit_sm, {carrier_duplicates} of them twice"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (it may be taken again before use)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stat(pid: int) -> list[str]:
    # the fields after the command name, which may hold spaces and parentheses
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat(int(entry.name))[1])
            except (OSError, IndexError):  # gone meanwhile
                continue
            children.setdefault(parent, []).append(int(entry.name))
    return children


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process and its live descendants (the SQLite store's
    writer process) have used, from /proc."""
    children = _children()
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            fields = _stat(current)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        todo.extend(children.get(current, ()))
    return total / os.sysconf("SC_CLK_TCK")


def pace(seconds: float = 0.5) -> float | None:
    """How fast this machine runs Python now against the one the performance notes' reference
    figures (Kannel, Jasmin, the targets) were measured on: smpp.pdu3's submit_sm round trips
    per second on one core, over the 13,900/s it made there. None without smpp.pdu3."""
    try:
        encode, decode = reference_workload()
    except ImportError:
        return None
    rate = per_second(lambda: decode(encode()), seconds)
    return round(rate / TARGET_REFERENCE_ROUND_TRIPS_PER_S, 3)


class DatabaseCpu:
    """CPU seconds used so far by every PostgreSQL server process on this machine (the
    postmaster's backends and workers), from /proc; the benches' share of the database. A total
    that never goes back: a backend that exited still counts what it was last seen using (its
    work after that reading is missed), where a plain sum over the living fell when one did."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], int] = {}  # (pid, start time): clock ticks

    def __call__(self) -> float:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                head, fields = (entry / "stat").read_text().rsplit(")", 1)
            except OSError:  # gone meanwhile
                continue
            if head.endswith("(postgres"):
                parts = fields.split()
                # the start time tells a process from a later one with the same pid
                self._seen[entry.name, parts[19]] = int(parts[11]) + int(parts[12])
        return sum(self._seen.values()) / os.sysconf("SC_CLK_TCK")


class Usage(NamedTuple):
    """CPU seconds a run's processes used during the load, and the machine's pace."""

    gateway: float  # every node, with its children (the SQLite store's writer)
    carrier: float
    client: float
    pace: float | None
    nodes: tuple[float, ...] = ()  # each node's share of `gateway`
    database: float = 0.0  # the PostgreSQL server's processes (0 on SQLite)


def measured(gateway: int | Sequence[int], carrier: int, load: Callable[[], T]) -> tuple[T, Usage]:
    """Run `load` here: its result, and what it cost to the gateway's node(s), the carrier, this
    client and the database server (the pace is the mean of a reading just before and one just
    after, the other processes idle)."""
    nodes = [gateway] if isinstance(gateway, int) else list(gateway)
    paces = [pace()]
    before = [cpu_seconds(n) for n in nodes], cpu_seconds(carrier), time.process_time()
    database_cpu = DatabaseCpu()
    database = database_cpu()
    result = load()
    after = [cpu_seconds(n) for n in nodes], cpu_seconds(carrier), time.process_time()
    database = database_cpu() - database
    paces.append(pace())
    readings = [p for p in paces if p is not None]
    mean = round(sum(readings) / len(readings), 3) if readings else None
    per_node = tuple(a - b for a, b in zip(after[0], before[0], strict=True))
    carrier_s, client_s = after[1] - before[1], after[2] - before[2]
    return result, Usage(sum(per_node), carrier_s, client_s, mean, per_node, database)


class Child(subprocess.Popen[str]):
    """An smsgate child process. Its output is read all along, since a full pipe would stop it
    at its next log line; the last lines are kept for `stop` to return."""

    tail: deque[str]
    reader: threading.Thread


def _read(child: Child) -> None:
    assert child.stdout is not None
    for line in child.stdout:
        child.tail.append(line)


def start(args: list[str], module: str = "smsgate") -> tuple[Child, str]:
    """`python -m MODULE ARGS` (`smsgate ARGS`) in a child process, once its banner (up to
    "Ctrl-C") is printed."""
    process = Child(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    banner = ""
    deadline = time.monotonic() + _START_TIMEOUT
    while "Ctrl-C" not in banner:
        line = process.stdout.readline()
        if not line or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{module} {args[0]} did not start:\n{banner}")
        banner += line
    process.tail = deque(maxlen=_TAIL_LINES)
    process.reader = threading.Thread(target=_read, args=(process,), daemon=True)
    process.reader.start()
    return process, banner


@dataclass(frozen=True)
class BenchDatabase:
    url: str  # what the nodes are configured with
    server: str | None  # the PostgreSQL server's DSN; None for a SQLite file

    def wal(self) -> int:
        """The server's write-ahead log position in bytes (0 for SQLite)."""
        return asyncio.run(wal_position(self.server)) if self.server is not None else 0


@contextlib.contextmanager
def bench_database(backend: str, pg: str, workdir: Path) -> Iterator[BenchDatabase]:
    """A run's database: a new SQLite file in `workdir`, or a new schema on the PostgreSQL
    server at `pg`, dropped afterwards."""
    if backend == "sqlite":
        yield BenchDatabase(str(workdir / f"bench-{secrets.token_hex(4)}.db"), None)
        return
    schema = f"smsgate_bench_{secrets.token_hex(4)}"
    asyncio.run(pg_schema(pg, f"CREATE SCHEMA {schema}"))
    try:
        yield BenchDatabase(f"{pg}{'&' if '?' in pg else '?'}search_path={schema}", pg)
    finally:
        asyncio.run(pg_schema(pg, f"DROP SCHEMA {schema} CASCADE"))


def measured_nodes(
    nodes: Sequence[tuple[Child, str]],
    carrier: Child,
    database: BenchDatabase,
    load: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], Usage]:
    """`measured` over every node, with the bytes of write-ahead log per accepted message on
    PostgreSQL (its disk's and its replicas' share)."""
    wal = database.wal()
    result, usage = measured([node.pid for node, _ in nodes], carrier.pid, load)
    if database.server is not None:
        written = database.wal() - wal
        result["wal_bytes_per_message"] = round(written / max(1, result["accepted"]))
    return result, usage


@contextlib.contextmanager
def running(children: Sequence[tuple[Child, str]]) -> Iterator[None]:
    """Stops the children (gateway nodes, a reference server) on the way out; when the block
    fails, what each said last goes to stderr."""
    try:
        yield
    except BaseException:
        for i, (child, _) in enumerate(children):
            print(f"process {i}:\n{stop(child)}", file=sys.stderr)
        raise
    finally:
        for child, _ in children:
            if child.poll() is None:
                stop(child)


async def pg_schema(dsn: str, statement: str) -> None:
    """One statement on the benches' PostgreSQL (making or dropping a run's schema)."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def wal_position(dsn: str) -> int:
    """The PostgreSQL server's write-ahead log position, in bytes."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return int(await conn.fetchval("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"))
    finally:
        await conn.close()


def start_nodes(count: int, config: Path | Sequence[Path]) -> list[tuple[Child, str]]:
    """`count` gateway nodes (`smsgate serve`), each on its configuration (or all on one), and
    their banners; the first is up before the next starts, as an operator adds nodes."""
    configs = [config] * count if isinstance(config, Path) else list(config)
    nodes: list[tuple[Child, str]] = []
    try:
        for path in configs:
            nodes.append(start(["serve", "--config", str(path)]))
    except BaseException:
        for node, _ in nodes:
            stop(node)
        raise
    return nodes


def stop(process: Child) -> str:
    """SIGINT (a graceful stop), then SIGKILL if it takes over 30 s; returns the last lines it
    printed after its banner."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.reader.join(timeout=5)
    return "".join(process.tail)


def start_carrier(
    receipt_delay: float, password: str, latency: float = 0.0, *options: str
) -> tuple[Child, int]:
    """The simulated carrier, binding system_id "smsgate" with `password` and answering each
    submit after `latency` seconds (more `smsgate simulator` options may follow: its faults);
    and its port."""
    carrier, banner = start(
        [
            "simulator",
            "--port",
            "0",
            "--receipt-delay",
            str(receipt_delay),
            "--latency",
            str(latency),
            "--system-id",
            "smsgate",
            "--password",
            password,
            *options,
        ]
    )
    port = re.search(r"127\.0\.0\.1:(\d+)", banner)
    if port is None:
        carrier.kill()
        raise RuntimeError(f"no port in the simulator's banner:\n{banner}")
    return carrier, int(port.group(1))


def stop_carrier(carrier: Child) -> dict[str, int]:
    """Stops the simulated carrier; the counters it prints on its way out."""
    return dict(json.loads(stop(carrier).strip().splitlines()[-1]))


def gateway_config(
    path: Path,
    *,
    db: str,
    http_port: int,
    queue: int,
    carrier_port: int,
    connector: str,
    smpp_port: int = 0,
    smpp_window: int | None = None,
    durability: str | None = None,
) -> Path:
    """A configuration routing everything to the carrier; `connector` adds connector settings
    (TOML lines). None keeps the gateway's default."""
    optional = "".join(
        f"{name} = {value}\n"
        for name, value in (
            ("smpp_window", smpp_window),
            ("durability", None if durability is None else f'"{durability}"'),
        )
        if value is not None
    )
    path.write_text(
        f'db = "{db}"\nhttp_port = {http_port}\nsmpp_port = {smpp_port}\n{optional}\n'
        f"[engine]\nqueue_capacity = {queue}\n\n"
        f'[[connectors]]\nid = "carrier"\nhost = "127.0.0.1"\nport = {carrier_port}\n'
        f'system_id = "smsgate"\n{connector}\n\n'
        '[[routes]]\nid = "all"\nconnectors = [{id = "carrier"}]\n'
    )
    return path


# what an acknowledged message survives, by store backend and durability setting
STORE_NOTES: Final = {
    ("sqlite", "disk"): "SQLite WAL with synchronous=FULL (durability = disk): a message is "
    "fsynced before it is acknowledged, so it survives a process kill and a power loss",
    ("sqlite", "process"): "SQLite WAL with synchronous=NORMAL (durability = process): a "
    "message is in the operating system's hands before it is acknowledged, so it survives a "
    "process kill, not a power loss",
    ("postgres", "disk"): "PostgreSQL with synchronous_commit on (durability = disk): a "
    "message's commit is flushed to the server's WAL before it is acknowledged, so it "
    "survives a kill of either process and a power loss",
    ("postgres", "process"): "PostgreSQL with synchronous_commit off (durability = process): "
    "a message is in the server's memory before it is acknowledged, so it survives a kill of "
    "the gateway, not a crash of the server or a power loss",
}


def create_account(config: Path, name: str, *options: str) -> str:
    """A new account without a rate limit worth the name (more `account create` options may
    follow, e.g. SMPP credentials); its API key."""
    command = ["account", "create", "--name", name, "--rate", "1000000", "--json", *options]
    created = subprocess.run(
        [sys.executable, "-m", "smsgate", *command, "--config", str(config)],
        check=True,
        capture_output=True,
        text=True,
    )
    return str(json.loads(created.stdout)["api_key"])


def http_address(banner: str) -> tuple[str, int]:
    match = re.search(r"HTTP API +http://([\d.]+):(\d+)", banner)
    if match is None:
        raise RuntimeError(f"no HTTP address in:\n{banner}")
    return match.group(1), int(match.group(2))


class HttpClient:
    """A lean HTTP/1.1 keep-alive client: the load generator must cost less than the gateway."""

    def __init__(
        self, host: str, port: int, key: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.host, self.port, self.key = host, port, key
        # the credentials' header lines: the native API's bearer key unless told otherwise
        credentials = headers if headers is not None else {"Authorization": f"Bearer {key}"}
        self._credentials = "".join(f"{name}: {value}\r\n" for name, value in credentials.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"{self._credentials}Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        if not status_line:  # the server closed the connection while it was idle: once more
            self.close()
            await self.open()
            assert self.reader is not None and self.writer is not None
            self.writer.write(head.encode() + body)
            status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def open_clients(
    host: str, port: int, key: str, count: int, headers: Mapping[str, str] | None = None
) -> list[HttpClient]:
    clients = [HttpClient(host, port, key, headers) for _ in range(count)]
    for client in clients:
        await client.open()
    return clients


async def receipts_applied(client: HttpClient) -> int:
    """Receipts the gateway has applied so far, from its metrics."""
    _, text = await client.request("GET", "/metrics")
    return sum(
        int(float(v)) for v in re.findall(rb'smsgate_receipts_total\{state="[a-z]+"\} (\S+)', text)
    )


async def wait_for_receipts(
    client: HttpClient | Sequence[HttpClient], count: int, timeout: float
) -> int:
    """Until the gateway (every node, one client each) has applied `count` receipts, or
    `timeout` seconds passed; how many."""
    clients = [client] if isinstance(client, HttpClient) else list(client)

    async def applied() -> int:
        return sum([await receipts_applied(c) for c in clients])

    deadline = time.monotonic() + timeout
    done = await applied()
    while done < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        done = await applied()
    return done


def percentiles_ms(seconds: list[float], points: tuple[int, ...]) -> list[float]:
    """The given percentiles of `seconds`, in milliseconds to 0.1 (empty: zeros)."""
    ordered = sorted(seconds) or [0.0]
    last = len(ordered) - 1
    return [round(ordered[min(last, last * p // 100)] * 1000, 1) for p in points]


def shown(value: float | None, spec: str = ",.0f") -> str:
    """A figure for a table, or "-" where it could not be taken."""
    return "-" if value is None else format(value, spec)


def run_figures(result: dict[str, Any], done: int, usage: Usage) -> dict[str, Any]:
    """A run's rates, each process's CPU seconds per 10,000 accepted messages, and the rates
    scaled to the pace of the machine the reference figures come from."""
    n = max(1, result["accepted"])
    accepted = result["accepted"] / result["accept_seconds"]
    end_to_end = done / result["end_to_end_seconds"]
    scale = 1 / usage.pace if usage.pace else None
    return {
        "accepted_per_s": round(accepted, 1),
        "end_to_end_per_s": round(end_to_end, 1),
        "machine_pace": usage.pace,
        "accepted_per_s_at_reference_pace": round(accepted * scale, 1) if scale else None,
        "end_to_end_per_s_at_reference_pace": round(end_to_end * scale, 1) if scale else None,
        "gateway_cpu_s_per_10k": round(usage.gateway * 10_000 / n, 3),
        "carrier_cpu_s_per_10k": round(usage.carrier * 10_000 / n, 3),
        "client_cpu_s_per_10k": round(usage.client * 10_000 / n, 3),
        "node_cpu_s_per_10k": [round(c * 10_000 / n, 3) for c in usage.nodes],
        "database_cpu_s_per_10k": round(usage.database * 10_000 / n, 3),
    }
