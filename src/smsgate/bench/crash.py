"""`smsgate bench crash`: kill -9 the gateway mid-stream, restart it, and count what was lost.

The simulated carrier runs in its own process and outlives the gateway. The client sends
`--messages` messages (each with its own text) over the REST API; once half of them got their
202, the gateway is killed with SIGKILL, restarted on the same database, and the client sends
the rest. Then every message that got a 202 must reach a final status: `lost` counts those that
did not, or that the gateway does not know at all. `duplicates` counts submits the carrier saw
twice (the parts in flight at the kill, sent again after the restart); it should stay within the
connector's window.
"""

import argparse
import asyncio
import json
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smsgate.bench.processes import (
    HttpClient,
    create_account,
    gateway_config,
    http_address,
    open_clients,
    start,
    start_carrier,
    stop,
    stop_carrier,
)
from smsgate.config import DURABILITY

FINAL = {"delivered", "undelivered", "failed", "expired", "canceled", "rejected"}


async def _send(
    http: list[HttpClient], first: int, last: int, acked: set[str], stop_at: int
) -> int:
    """Send messages first..last-1 until `stop_at` acks in total; returns the next index."""
    position = first
    lock = asyncio.Lock()

    async def worker(client: HttpClient) -> None:
        nonlocal position
        while True:
            async with lock:
                if position >= last or len(acked) >= stop_at:
                    return
                index = position
                position += 1
            body = json.dumps({"to": f"+8190{index:08d}", "text": f"crash test {index}"})
            try:
                status, reply = await client.request("POST", "/v1/messages", body.encode())
            except (OSError, asyncio.IncompleteReadError):
                return  # the gateway is gone: this one has no 202, so it promised nothing
            if status == 202:
                acked.add(json.loads(reply)["id"])

    await asyncio.gather(*(worker(c) for c in http))
    return position


async def _statuses(client: HttpClient) -> dict[str, str]:
    found: dict[str, str] = {}
    cursor = ""
    while True:
        path = "/v1/messages?limit=500" + (f"&cursor={cursor}" if cursor else "")
        _, body = await client.request("GET", path)
        page = json.loads(body)
        for item in page["messages"]:
            found[item["id"]] = item["status"]
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return found


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    carrier, carrier_port = start_carrier(args.receipt_delay, "crash")
    config = gateway_config(
        workdir / "crash.toml",
        db=str(workdir / f"crash-{secrets.token_hex(4)}.db"),
        http_port=args.http_port,
        queue=args.messages + 1000,
        carrier_port=carrier_port,
        connector=f'password = "crash"\nwindow = {args.window}\nreconnect_min = 0.1',
        durability=args.durability,
    )
    key = create_account(config, "crash")
    acked: set[str] = set()
    started = time.monotonic()
    progress: dict[str, Any] = {}

    async def scenario() -> dict[str, str]:
        gateway, banner = await asyncio.to_thread(start, ["serve", "--config", str(config)])
        progress["gateway"] = gateway  # stopped in `finally` whatever happens from here
        host, port = http_address(banner)
        clients = await open_clients(host, port, key, args.connections)
        next_index = await _send(clients, 0, args.messages, acked, args.messages // 2)
        gateway.send_signal(signal.SIGKILL)
        await asyncio.to_thread(gateway.wait)
        for client in clients:
            client.close()
        progress["acked_before_kill"] = len(acked)
        gateway, banner = await asyncio.to_thread(start, ["serve", "--config", str(config)])
        progress["gateway"] = gateway
        host, port = http_address(banner)
        clients = await open_clients(host, port, key, args.connections)
        await _send(clients, next_index, args.messages, acked, args.messages)
        deadline = time.monotonic() + args.timeout
        try:
            while True:
                statuses = await _statuses(clients[0])
                if all(statuses.get(i) in FINAL for i in acked) or time.monotonic() > deadline:
                    return statuses
                await asyncio.sleep(0.2)
        finally:
            for client in clients:
                client.close()

    try:
        statuses = asyncio.run(scenario())
    finally:
        if "gateway" in progress:
            stop(progress["gateway"])
        counters = stop_carrier(carrier)
    acked_before_kill = progress["acked_before_kill"]
    lost = sorted(i for i in acked if statuses.get(i) not in FINAL)
    by_status: dict[str, int] = {}
    for message_id in acked:
        status = statuses.get(message_id, "unknown")
        by_status[status] = by_status.get(status, 0) + 1
    return {
        "messages": args.messages,
        "acked": len(acked),
        "acked_before_kill": acked_before_kill,
        "final_by_status": by_status,
        "lost": len(lost),
        "lost_ids": lost[:10],
        "carrier_submits": counters["submitted"],
        "duplicates": counters["duplicates"],
        "window": args.window,
        "seconds": round(time.monotonic() - started, 1),
    }


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="smsgate bench crash", description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--receipt-delay", type=float, default=0.05)
    parser.add_argument(
        "--http-port",
        type=int,
        default=0,
        help="0: a free port at each start (the clients read it from the banner); a port "
        "picked beforehand could be taken by another process while the gateway is down",
    )
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--durability",
        choices=DURABILITY,
        default="disk",
        help="the gateway's (docs/durability.md)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(list(argv))
    with tempfile.TemporaryDirectory(prefix="smsgate-crash-") as workdir:
        result = run(args, Path(workdir))
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:18} {value}")
    ok = result["lost"] == 0 and result["duplicates"] <= args.window
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
