"""`smsgate bench e2e`: messages per second through the whole gateway, and its CPU cost.

Three processes on this machine: the simulated carrier (`smsgate simulator`, answering at once
and sending a receipt for every message), the gateway (`smsgate serve` with a configuration that
routes everything to that carrier), and this process as the HTTP client. The client sends
`--messages` messages through the REST API over `--connections` keep-alive connections (one
message per request, or `--batch` per request to /v1/messages/batch), then waits until the
gateway has applied every receipt. Reported: the acceptance rate, the end-to-end rate (first
request to last receipt applied), and the CPU seconds per 10,000 messages of the gateway's own
process (and, apart, of the carrier and of this client), read from /proc.
"""

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

TARGET_PER_SECOND = 5_000.0
REFERENCE = "reference on these machines: Jasmin ~2,350/s at best, Kannel ~15,000/s"
_START_TIMEOUT = 60.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _start(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "smsgate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    assert process.stdout is not None
    banner = ""
    deadline = time.monotonic() + _START_TIMEOUT
    while "Ctrl-C" not in banner:
        line = process.stdout.readline()
        if not line or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"smsgate {args[0]} did not start:\n{banner}")
        banner += line
    return process, banner


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(2)
    try:
        process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


class _Http:
    """A lean HTTP/1.1 keep-alive client: the load generator must cost less than the gateway."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port, self.key = host, port, key
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {self.key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
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


async def _load(args: argparse.Namespace, host: str, port: int, key: str) -> dict[str, Any]:
    clients = [_Http(host, port, key) for _ in range(args.connections)]
    for client in clients:
        await client.open()
    counter = iter(range(args.messages))
    accepted = 0
    refused: dict[int, int] = {}

    async def worker(client: _Http) -> None:
        nonlocal accepted
        while True:
            items = []
            for i in counter:
                items.append({"to": f"+8190{i % 100_000_000:08d}", "text": f"bench message {i}"})
                if len(items) >= args.batch:
                    break
            if not items:
                return
            if args.batch == 1:
                status, _ = await client.request(
                    "POST", "/v1/messages", json.dumps(items[0]).encode()
                )
                ok = 1 if status == 202 else 0
            else:
                payload = json.dumps({"messages": items}).encode()
                status, body = await client.request("POST", "/v1/messages/batch", payload)
                ok = json.loads(body).get("accepted", 0) if status == 202 else 0
            accepted += ok
            if ok < len(items):
                refused[status] = refused.get(status, 0) + len(items) - ok

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    accept_seconds = time.perf_counter() - started
    # wait for every receipt to be applied, reading the gateway's metrics
    deadline = time.monotonic() + args.timeout
    done = 0
    while time.monotonic() < deadline:
        _, text = await clients[0].request("GET", "/metrics")
        done = sum(
            int(float(v))
            for v in re.findall(rb'smsgate_receipts_total\{state="[a-z]+"\} (\S+)', text)
        )
        if done >= accepted:
            break
        await asyncio.sleep(0.05)
    total_seconds = time.perf_counter() - started
    for client in clients:
        client.close()
    return {
        "accepted": accepted,
        "refused_by_status": refused,
        "receipts_applied": done,
        "accept_seconds": round(accept_seconds, 3),
        "end_to_end_seconds": round(total_seconds, 3),
    }


async def _pg_schema(dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _run(args: argparse.Namespace, backend: str, workdir: Path) -> dict[str, Any]:
    schema = None
    if backend == "sqlite":
        db = str(workdir / f"bench-{secrets.token_hex(4)}.db")
    else:
        schema = f"smsgate_bench_{secrets.token_hex(4)}"
        asyncio.run(_pg_schema(args.pg, f"CREATE SCHEMA {schema}"))
        db = f"{args.pg}{'&' if '?' in args.pg else '?'}search_path={schema}"
    carrier, banner = _start(
        [
            "simulator",
            "--port",
            "0",
            "--receipt-delay",
            str(args.receipt_delay),
            "--system-id",
            "smsgate",
            "--password",
            "bench",
        ]
    )
    try:
        carrier_port = re.search(r"127\.0\.0\.1:(\d+)", banner)
        assert carrier_port
        config = workdir / f"{backend}.toml"
        config.write_text(
            f'db = "{db}"\nhttp_port = 0\n\n[engine]\nqueue_capacity = {args.messages + 1000}\n\n'
            f'[[connectors]]\nid = "carrier"\nhost = "127.0.0.1"\nport = {carrier_port.group(1)}\n'
            f'system_id = "smsgate"\npassword = "bench"\nbinds = {args.binds}\n'
            f"window = {args.window}\n\n"
            '[[routes]]\nid = "all"\nconnectors = [{id = "carrier"}]\n'
        )
        created = subprocess.run(
            [
                sys.executable,
                "-m",
                "smsgate",
                "account",
                "create",
                "--name",
                "bench",
                "--rate",
                "1000000",
                "--config",
                str(config),
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        key = json.loads(created.stdout)["api_key"]
        gateway, banner = _start(["serve", "--config", str(config)])
        try:
            url = re.search(r"HTTP API +http://([\d.]+):(\d+)", banner)
            assert url, banner
            cpu_gateway = _cpu_seconds(gateway.pid)
            cpu_carrier = _cpu_seconds(carrier.pid)
            cpu_client = time.process_time()
            result = asyncio.run(_load(args, url.group(1), int(url.group(2)), key))
            cpu_gateway = _cpu_seconds(gateway.pid) - cpu_gateway
            cpu_carrier = _cpu_seconds(carrier.pid) - cpu_carrier
            cpu_client = time.process_time() - cpu_client
        finally:
            _stop(gateway)
    finally:
        _stop(carrier)
        if schema is not None:
            asyncio.run(_pg_schema(args.pg, f"DROP SCHEMA {schema} CASCADE"))
    n = max(1, result["accepted"])
    result.update(
        backend=backend,
        accepted_per_s=round(result["accepted"] / result["accept_seconds"], 1),
        end_to_end_per_s=round(result["receipts_applied"] / result["end_to_end_seconds"], 1),
        gateway_cpu_s_per_10k=round(cpu_gateway * 10_000 / n, 3),
        carrier_cpu_s_per_10k=round(cpu_carrier * 10_000 / n, 3),
        client_cpu_s_per_10k=round(cpu_client * 10_000 / n, 3),
    )
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate bench e2e", description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--batch", type=int, default=1, help="messages per request (1: single)")
    parser.add_argument("--binds", type=int, default=1)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--receipt-delay", type=float, default=0.0)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--pg",
        default=os.environ.get("SMSGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for receipts")
    parser.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as workdir:
        for backend in backends:
            results.append(_run(args, backend, Path(workdir)))
    report = {
        "messages": args.messages,
        "connections": args.connections,
        "batch": args.batch,
        "target_per_s": TARGET_PER_SECOND,
        "reference": REFERENCE,
        "python": sys.version.split()[0],
        "runs": results,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"{'backend':9} {'accepted/s':>11} {'e2e/s':>9} {'gw CPU s/10k':>13} "
            f"{'carrier':>8} {'client':>7}  refused"
        )
        for r in results:
            print(
                f"{r['backend']:9} {r['accepted_per_s']:>11,.0f} {r['end_to_end_per_s']:>9,.0f} "
                f"{r['gateway_cpu_s_per_10k']:>13.2f} {r['carrier_cpu_s_per_10k']:>8.2f} "
                f"{r['client_cpu_s_per_10k']:>7.2f}  {r['refused_by_status'] or '-'}"
            )
        print(f"target: {TARGET_PER_SECOND:,.0f} messages/s end to end on SQLite; {REFERENCE}")
    return 0
