"""`smsgate bench flood`: `/healthz` latency while one SMPP client floods the gateway, beside
the same latency without the flood, as a ratio.

A gateway (`smsgate serve` with its simulated carrier, SQLite) in a child process. First
`/healthz` is requested back to back for `--seconds` on one keep-alive connection (the
baseline); then again while a client that never binds and never reads writes enquire_link
PDUs as fast as the gateway takes them, up to `--megabytes` or `--seconds`, whichever comes
first (`--bind`: it binds as a customer first, and the bound rate applies). When the gateway
disconnects it (a flood past the request rate), it connects again, as
a hostile client would. Reported: p50/p99 of each phase and their ratio, what the flood got
written and how often it was disconnected, and the gateway's resident memory before and
after (the flood should leave it about where it was).
"""

import argparse
import asyncio
import contextlib
import json
import re
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smsgate.bench.processes import (
    HttpClient,
    create_account,
    free_port,
    http_address,
    percentiles_ms,
    start,
    stop,
)
from smsgate.smpp import codec
from smsgate.smpp.pdu import BindTransceiver, EnquireLink

_SYSTEM_ID, _PASSWORD = "flood", "flood"
_BIND = codec.encode(BindTransceiver(system_id=_SYSTEM_ID, password=_PASSWORD, sequence_number=1))

_CHUNK = b"".join(codec.encode(EnquireLink(sequence_number=n)) for n in range(1, 4097))


def _rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return round(int(found.group(1)) / 1024, 1) if found else None


async def _latencies(host: str, port: int, until: float) -> list[float]:
    client = HttpClient(host, port, "")
    await client.open()
    seconds = []
    try:
        while time.monotonic() < until:
            started = time.perf_counter()
            status, _ = await client.request("GET", "/healthz")
            seconds.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"/healthz answered {status}")
    finally:
        client.close()
    return seconds


async def _flood(port: int, limit: int, until: float, bind: bool) -> dict[str, int]:
    """Writes enquire_links, reading nothing, until `limit` bytes or the deadline."""
    loop = asyncio.get_running_loop()
    written = connections = 0
    while written < limit and time.monotonic() < until:
        connections += 1
        sock = socket.socket()
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, ("127.0.0.1", port))
            if bind:
                await loop.sock_sendall(sock, _BIND)
            while written < limit:
                remaining = until - time.monotonic()
                if remaining <= 0:
                    break
                await asyncio.wait_for(loop.sock_sendall(sock, _CHUNK), remaining)
                written += len(_CHUNK)
        except (ConnectionError, TimeoutError):
            await asyncio.sleep(0.01)  # disconnected (or the time is up): connect again
        finally:
            sock.close()
    return {"flood_bytes": written, "flood_connections": connections}


async def _measure(host: str, http_port: int, smpp_port: int, args: argparse.Namespace) -> Any:
    baseline = await _latencies(host, http_port, time.monotonic() + args.seconds)
    until = time.monotonic() + args.seconds
    flood = asyncio.create_task(_flood(smpp_port, args.megabytes * 1024 * 1024, until, args.bind))
    flooded = await _latencies(host, http_port, until)
    with contextlib.suppress(asyncio.CancelledError):
        counts = await flood
    return baseline, flooded, counts


def _run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    smpp_port = free_port()
    config = workdir / "flood.toml"
    config.write_text(
        f'db = "{workdir / "bench.db"}"\nhttp_port = 0\nsmpp_port = {smpp_port}\nsimulator = true\n'
    )
    if args.bind:
        create_account(
            config, "flood", "--smpp-system-id", _SYSTEM_ID, "--smpp-password", _PASSWORD
        )
    gateway, banner = start(["serve", "--config", str(config)])
    try:
        host, http_port = http_address(banner)
        rss_before = _rss_mb(gateway.pid)
        baseline, flooded, counts = asyncio.run(_measure(host, http_port, smpp_port, args))
        rss_after = _rss_mb(gateway.pid)
    finally:
        stop(gateway)
    base = percentiles_ms(baseline, (50, 99))
    load = percentiles_ms(flooded, (50, 99))
    return {
        "seconds": args.seconds,
        "bound": args.bind,
        "megabytes_cap": args.megabytes,
        "python": sys.version.split()[0],
        "healthz_baseline_ms": {"p50": base[0], "p99": base[1], "requests": len(baseline)},
        "healthz_flooded_ms": {"p50": load[0], "p99": load[1], "requests": len(flooded)},
        "ratio_p50": round(load[0] / base[0], 2) if base[0] else None,
        "ratio_p99": round(load[1] / base[1], 2) if base[1] else None,
        "gateway_rss_mb_before": rss_before,
        "gateway_rss_mb_after": rss_after,
        **counts,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate bench flood", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--megabytes", type=int, default=128, help="most the flood writes")
    parser.add_argument("--bind", action="store_true", help="flood as a bound customer")
    parser.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as workdir:
        report = _run(args, Path(workdir))
    if args.json:
        print(json.dumps(report))
        return 0
    base, load = report["healthz_baseline_ms"], report["healthz_flooded_ms"]
    print(f"{'/healthz':10} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}")
    print(f"{'baseline':10} {base['p50']:>8} {base['p99']:>8} {base['requests']:>9,}")
    print(f"{'flooded':10} {load['p50']:>8} {load['p99']:>8} {load['requests']:>9,}")
    print(
        f"ratio flooded / baseline: p50 {report['ratio_p50']}, p99 {report['ratio_p99']}; "
        f"the flood wrote {report['flood_bytes'] / 1e6:,.1f} MB over "
        f"{report['flood_connections']} connection(s); gateway RSS "
        f"{report['gateway_rss_mb_before']} -> {report['gateway_rss_mb_after']} MB"
    )
    return 0
