"""`smsgate bench e2e`: messages per second through the whole gateway, and its CPU cost.

Three processes on this machine: the simulated carrier (`smsgate simulator`, answering at once
and sending a receipt for every message), the gateway (`smsgate serve` with a configuration that
routes everything to that carrier), and this process as the HTTP client. The client sends
`--messages` messages through the REST API over `--connections` keep-alive connections (one
message per request, or `--batch` per request to /v1/messages/batch), then waits until the
gateway has applied every receipt. Reported: the acceptance rate, the end-to-end rate (first
request to last receipt applied), and the CPU seconds per 10,000 messages of the gateway's
processes (its own and its SQLite writer's; apart, of the carrier and of this client), read from
/proc.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smsgate.bench.processes import (
    NODES_LINE,
    PACE_NOTE,
    HttpClient,
    bench_database,
    create_account,
    gateway_config,
    http_address,
    measured_nodes,
    run_figures,
    running,
    shown,
    start_carrier,
    start_nodes,
    stop_carrier,
    wait_for_receipts,
)

TARGET_PER_SECOND = 5_000.0
REFERENCE = "reference on these machines: Jasmin ~2,350/s at best, Kannel ~15,000/s"
_START_TIMEOUT = 60.0


async def _load(
    args: argparse.Namespace, addresses: Sequence[tuple[str, int]], key: str
) -> dict[str, Any]:
    # the connections spread over the nodes, as a load balancer would
    clients = [HttpClient(*addresses[i % len(addresses)], key) for i in range(args.connections)]
    for client in clients:
        await client.open()
    counter = iter(range(args.messages))
    accepted = 0
    refused: dict[int, int] = {}

    async def worker(client: HttpClient) -> None:
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
    done = await wait_for_receipts(clients[: len(addresses)], accepted, args.timeout)
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


def _run(args: argparse.Namespace, backend: str, workdir: Path) -> dict[str, Any]:
    with bench_database(backend, args.pg, workdir) as database:
        carrier, carrier_port = start_carrier(args.receipt_delay, "bench")
        try:
            config = gateway_config(
                workdir / f"{backend}.toml",
                db=database.url,
                http_port=0,
                queue=args.messages + 1000,
                carrier_port=carrier_port,
                connector=f'password = "bench"\nbinds = {args.binds}\nwindow = {args.window}',
            )
            key = create_account(config, "bench")
            nodes = start_nodes(args.nodes, config)
            with running(nodes):
                addresses = [http_address(banner) for _, banner in nodes]
                result, usage = measured_nodes(
                    nodes, carrier, database, lambda: asyncio.run(_load(args, addresses, key))
                )
        finally:
            carrier_counters = stop_carrier(carrier)
    result.update(
        backend=backend,
        nodes=args.nodes,
        # what reached the carrier, and how much of it twice (the same number and text)
        carrier_submitted=carrier_counters["submitted"],
        carrier_duplicates=carrier_counters["duplicates"],
        **run_figures(result, result["receipts_applied"], usage),
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
        "--nodes", type=int, default=1, help="gateway nodes on one database (PostgreSQL past 1)"
    )
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
    if args.nodes > 1:
        if args.backend == "sqlite":
            raise SystemExit("smsgate bench e2e: several nodes share a PostgreSQL database")
        backends = ["postgres"]
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
            f"{'carrier':>8} {'client':>7} {'pace':>5} {'e2e/s at ref pace':>18}  refused"
        )
        for r in results:
            print(
                f"{r['backend']:9} {r['accepted_per_s']:>11,.0f} {r['end_to_end_per_s']:>9,.0f} "
                f"{r['gateway_cpu_s_per_10k']:>13.2f} {r['carrier_cpu_s_per_10k']:>8.2f} "
                f"{r['client_cpu_s_per_10k']:>7.2f} {shown(r['machine_pace'], '.2f'):>5} "
                f"{shown(r['end_to_end_per_s_at_reference_pace']):>18}  "
                f"{r['refused_by_status'] or '-'}"
            )
            if r["backend"] == "postgres":
                print(f"  {NODES_LINE.format(**r)}")
        print(f"target: {TARGET_PER_SECOND:,.0f} messages/s end to end on SQLite; {REFERENCE}")
        print(PACE_NOTE)
    return 0
