"""`smsgate bench dialects`: the Reach create endpoint beside the native POST /v1/messages, in
the same run, as a ratio of their throughputs.

Two processes beside this one: the simulated carrier (answering at once, a receipt for every
message) and the gateway (`smsgate serve`, SQLite). Rounds alternate between the two APIs;
each sends `--messages` messages, one per request, over `--connections` keep-alive
connections (native: a JSON body with an Authorization header; Reach: a form with the ApiUser
and ApiKey headers, as Reach's own clients send it), then waits until the gateway has applied
every receipt, so the next round starts from a quiet gateway. Reported per API: the best
round's requests accepted per second and the gateway's CPU seconds per 10,000 of them; and the
ratio Reach / native of the best rounds (the target is at least 0.8).
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from smsgate.bench.processes import (
    HttpClient,
    cpu_seconds,
    create_account,
    gateway_config,
    http_address,
    open_clients,
    start,
    start_carrier,
    stop,
    wait_for_receipts,
)

TARGET_RATIO = 0.8
ACCOUNT = "bench"

Request = Callable[[int], tuple[str, bytes, str]]  # message number -> (path, body, type)


def native_request(i: int) -> tuple[str, bytes, str]:
    body = {"to": f"+8190{i % 100_000_000:08d}", "text": f"bench message {i}"}
    return "/v1/messages", json.dumps(body).encode(), "application/json"


def reach_request(i: int) -> tuple[str, bytes, str]:
    form = {"dest": f"+8190{i % 100_000_000:08d}", "src": "ACME", "body": f"bench message {i}"}
    return (
        "/rest/messaging/v1/create",
        urlencode(form).encode(),
        "application/x-www-form-urlencoded",
    )


APIS: dict[str, tuple[Request, int]] = {
    "native": (native_request, 202),
    "reach": (reach_request, 201),
}


async def _round(
    clients: list[HttpClient], make: Request, ok_status: int, first: int, count: int
) -> tuple[int, float]:
    """(accepted, seconds) of `count` requests numbered from `first`."""
    numbers = iter(range(first, first + count))
    accepted = 0

    async def worker(client: HttpClient) -> None:
        nonlocal accepted
        for i in numbers:
            path, body, content_type = make(i)
            status, _ = await client.request("POST", path, body, content_type)
            accepted += status == ok_status

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    return accepted, time.perf_counter() - started


async def _load(args: argparse.Namespace, host: str, port: int, key: str, pid: int) -> list[Any]:
    headers = {"native": None, "reach": {"ApiUser": ACCOUNT, "ApiKey": key}}
    rounds: list[dict[str, Any]] = []
    first = accepted_total = 0
    for number in range(args.rounds):
        for name, (make, ok_status) in APIS.items():
            # connections of their own per round: idle ones would time out meanwhile
            clients = await open_clients(host, port, key, args.connections, headers[name])
            cpu = cpu_seconds(pid)
            accepted, seconds = await _round(clients, make, ok_status, first, args.messages)
            cpu = cpu_seconds(pid) - cpu
            first += args.messages
            accepted_total += accepted
            applied = await wait_for_receipts(clients[0], accepted_total, args.timeout)
            for client in clients:
                client.close()
            rounds.append(
                {
                    "round": number,
                    "api": name,
                    "accepted": accepted,
                    "per_s": round(accepted / seconds, 1),
                    "gateway_cpu_s_per_10k": round(cpu * 10_000 / max(1, accepted), 3),
                    "receipts_applied": applied,
                }
            )
    return rounds


def _run(args: argparse.Namespace, workdir: Path) -> list[Any]:
    carrier, carrier_port = start_carrier(0.0, "bench")
    try:
        config = gateway_config(
            workdir / "dialects.toml",
            db=str(workdir / "bench.db"),
            http_port=0,
            queue=2 * args.rounds * args.messages + 1000,
            carrier_port=carrier_port,
            connector='password = "bench"\nbinds = 1\nwindow = 100',
        )
        key = create_account(config, ACCOUNT)
        gateway, banner = start(["serve", "--config", str(config)])
        try:
            host, port = http_address(banner)
            return asyncio.run(_load(args, host, port, key, gateway.pid))
        finally:
            stop(gateway)
    finally:
        stop(carrier)


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    best = {name: max(r["per_s"] for r in rounds if r["api"] == name) for name in APIS}
    ratio = round(best["reach"] / best["native"], 3) if best["native"] else 0.0
    return {
        "native_per_s": best["native"],
        "reach_per_s": best["reach"],
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "met": ratio >= TARGET_RATIO,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate bench dialects", description=__doc__)
    parser.add_argument("--messages", type=int, default=5_000, help="messages per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each API")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for receipts")
    parser.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as workdir:
        rounds = _run(args, Path(workdir))
    report = {
        "messages_per_round": args.messages,
        "connections": args.connections,
        "python": sys.version.split()[0],
        "rounds": rounds,
        **summary(rounds),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{'round':>5} {'api':7} {'accepted/s':>11} {'gw CPU s/10k':>13}")
    for r in rounds:
        print(
            f"{r['round']:>5} {r['api']:7} {r['per_s']:>11,.0f} {r['gateway_cpu_s_per_10k']:>13.2f}"
        )
    verdict = "met" if report["met"] else "NOT met"
    print(
        f"Reach / native: {report['ratio']:.2f} (best rounds {report['reach_per_s']:,.0f} / "
        f"{report['native_per_s']:,.0f} per second; target {TARGET_RATIO:.0%}: {verdict})"
    )
    return 0
