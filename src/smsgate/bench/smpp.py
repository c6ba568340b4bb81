"""`smsgate bench smpp`: submit_sm per second through the SMPP server, receipts back, CPU cost.

Three processes on this machine: the simulated carrier (`smsgate simulator`, answering at once
and sending a receipt for every message), the gateway (`smsgate serve`, its SMPP server on a
free port, everything routed to that carrier), and this process as the customer: `--binds`
transceiver binds, each keeping up to `--window` submit_sm outstanding, all with
registered_delivery set. A submit counts as accepted when its submit_sm_resp is ESME_ROK (so
the message is committed); the run ends when every accepted message's receipt came back as a
deliver_sm. Reported: accepted submit_sm per second, receipts per second end to end, and the
CPU seconds per 10,000 messages of the gateway's processes (and, apart, of the carrier and of
this client), read from /proc.

`--rounds N` runs N rounds on the same gateway (the median round is the figure); with
`--reference` each round also runs the same client against the bare SMPP server
(`smsgate.bench.bare_smpp`: every submit_sm answered at once, nothing stored or forwarded), in
alternating order, and the report gives smsgate's rate over the bare server's: how near the
gateway's front comes to what the loop and sockets allow.
"""

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from smsgate.bench.processes import (
    NODES_LINE,
    PACE_NOTE,
    STORE_NOTES,
    BenchDatabase,
    Child,
    bench_database,
    create_account,
    free_port,
    gateway_config,
    measured,
    measured_nodes,
    percentiles_ms,
    run_figures,
    running,
    shown,
    start,
    start_carrier,
    start_nodes,
    stop,
    stop_carrier,
)
from smsgate.config import DURABILITY
from smsgate.runtime import run_async
from smsgate.smpp.constants import is_receipt, status_name
from smsgate.smpp.pdu import BindTransceiver, DeliverSm, Request, SubmitSm
from smsgate.smpp.session import SessionConfig
from smsgate.transport.smpp_connection import SmppConnection, connect

TARGET_PER_SECOND = 10_000.0
# the SMPP front's targets by the customer's binds, each of this window
FRONT_WINDOW = 200
FRONT_TARGETS = {1: 25_000.0, 4: 40_000.0}
SYSTEM_ID, PASSWORD = "bench", "bench-pw"


class _Customer:
    """The customer's side: answers deliver_sm and counts receipts."""

    def __init__(self, expected: int) -> None:
        self.receipts = 0
        self.expected = expected
        self.done = asyncio.Event()

    def handle(self, connection: SmppConnection, pdu: Request) -> None:
        connection.send(pdu.response())
        if isinstance(pdu, DeliverSm) and is_receipt(pdu.esm_class):
            self.receipts += 1
            if self.receipts >= self.expected:
                self.done.set()


async def submit_all(
    args: argparse.Namespace, port: int | Sequence[int], *, receipts: bool = True
) -> dict[str, Any]:
    """`args.messages` submits over `args.binds` binds; with `receipts`, until each accepted
    one's receipt is back too."""
    customer = _Customer(args.messages)
    config = SessionConfig(window=args.window, enquire_link_interval=None)
    ports = [port] if isinstance(port, int) else list(port)  # one per node: binds spread over them
    binds = [
        await connect(
            "127.0.0.1",
            ports[i % len(ports)],
            BindTransceiver(system_id=SYSTEM_ID, password=PASSWORD, system_type="MCON9"),
            customer.handle,
            config,
        )
        for i in range(args.binds)
    ]
    counter = iter(range(args.first, args.first + args.messages))
    accepted = 0
    refused: dict[str, int] = {}
    latencies: list[float] = []  # seconds from each submit_sm to its resp
    clock = time.perf_counter

    async def worker(connection: SmppConnection) -> None:
        pending: list[asyncio.Future[Any]] = []
        for i in counter:
            await connection.wait_for_window()
            pdu = SubmitSm(
                source_addr="447700900123",
                source_addr_ton=1,
                source_addr_npi=1,
                destination_addr=f"8190{i % 100_000_000:08d}",
                dest_addr_ton=1,
                dest_addr_npi=1,
                registered_delivery=1,
                short_message=f"{args.prefix}bench message {i}".encode(),
            )
            future = connection.request(pdu)
            future.add_done_callback(partial(count, clock()))
            pending.append(future)
        if pending:  # the other binds may have taken every number
            await asyncio.wait(pending)

    def count(sent: float, future: "asyncio.Future[Any]") -> None:
        nonlocal accepted
        latencies.append(clock() - sent)
        if future.exception() is not None:
            refused["lost"] = refused.get("lost", 0) + 1
            return
        status = future.result().command_status
        if status == 0:
            accepted += 1
        else:
            name = status_name(status)
            refused[name] = refused.get(name, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in binds))
    accept_seconds = time.perf_counter() - started
    customer.expected = accepted
    if receipts and customer.receipts < accepted:
        customer.done.clear()
        try:
            await asyncio.wait_for(customer.done.wait(), args.timeout)
        except TimeoutError:
            pass
    total_seconds = time.perf_counter() - started
    for connection in binds:
        await connection.unbind_and_close()
    return {
        "accepted": accepted,
        "refused_by_status": refused,
        "receipts_delivered": customer.receipts,
        "accept_seconds": round(accept_seconds, 3),
        "end_to_end_seconds": round(total_seconds, 3),
        "submit_ms_p50_p99": percentiles_ms(latencies, (50, 99)),
    }


def submits(
    args: argparse.Namespace, port: int | Sequence[int], *, receipts: bool = True
) -> dict[str, Any]:
    """`submit_all` on a loop of its own: one round, from a thread with none running."""
    return run_async(submit_all(args, port, receipts=receipts))


def _gateway_configs(
    args: argparse.Namespace, workdir: Path, database: BenchDatabase, carrier_port: int
) -> tuple[list[int], list[Path]]:
    """Each node's SMPP port and configuration."""
    ports, configs = [], []
    for node in range(args.nodes):
        ports.append(free_port())
        config = gateway_config(
            workdir / f"smpp-{node}.toml",
            db=database.url,
            http_port=0,
            queue=args.rounds * args.messages + 1000,
            carrier_port=carrier_port,
            connector=f'password = "bench"\nbinds = {args.upstream_binds}\nwindow = 100',
            smpp_port=ports[-1],
            smpp_window=args.window,  # the server's window per bind is the client's
            durability=args.durability,
        )
        configs.append(config)
    create_account(configs[0], "bench", "--smpp-system-id", SYSTEM_ID, "--smpp-password", PASSWORD)
    return ports, configs


def _start_bare() -> tuple[Child, int]:
    bare, banner = start(["0"], module="smsgate.bench.bare_smpp")
    port = re.search(r"127\.0\.0\.1:(\d+)", banner)
    if port is None:
        stop(bare)
        raise RuntimeError(f"no port in the bare server's banner:\n{banner}")
    return bare, int(port.group(1))


def _run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The gateway's rounds and, with `--reference`, the bare server's, alternating (which
    goes first alternates too)."""
    rounds: list[dict[str, Any]] = []
    bare_rounds: list[dict[str, Any]] = []
    with bench_database(args.backend, args.pg, workdir) as database:
        carrier, carrier_port = start_carrier(args.receipt_delay, "bench")
        try:
            ports, configs = _gateway_configs(args, workdir, database, carrier_port)
            children = start_nodes(args.nodes, configs)
            with running(children):
                for (_, banner), port in zip(children, ports, strict=True):
                    if not re.search(rf"SMPP server +[\d.]+:{port}\b", banner):
                        raise RuntimeError(f"no SMPP server on {port} in:\n{banner}")
                sides = [
                    (rounds, partial(_gateway_round, list(children), ports, carrier, database))
                ]
                if args.reference:
                    bare, bare_port = _start_bare()
                    children.append((bare, ""))
                    sides.append((bare_rounds, partial(_bare_round, bare, bare_port, carrier)))
                for number in range(args.rounds):
                    # numbers of their own: the same text to a number within a minute would be
                    # refused as identical
                    load = argparse.Namespace(
                        **{**vars(args), "first": args.first + number * args.messages}
                    )
                    for kept, side in sides if number % 2 == 0 else sides[::-1]:
                        kept.append({"round": number, **side(load)})
        finally:
            carrier_counters = stop_carrier(carrier)
    result = dict(_median_round(rounds))
    result.update(
        backend=args.backend,
        nodes=args.nodes,
        # a carrier that held too many undelivered receipts refused submits, then dropped some
        carrier_submitted=carrier_counters["submitted"],
        carrier_duplicates=carrier_counters["duplicates"],
        carrier_queue_full=carrier_counters["queue_full"],
        carrier_receipts_dropped=carrier_counters["receipts_dropped"],
    )
    if args.rounds > 1 or bare_rounds:
        result["rounds"] = rounds
    if bare_rounds:
        bare_median = _median_round(bare_rounds)
        result.update(
            reference_rounds=bare_rounds,
            reference_accepted_per_s=bare_median["accepted_per_s"],
            reference_cpu_s_per_10k=bare_median["gateway_cpu_s_per_10k"],
            ratio_to_reference=round(result["accepted_per_s"] / bare_median["accepted_per_s"], 3),
        )
    return result


def _gateway_round(
    nodes: list[tuple[Child, str]],
    ports: list[int],
    carrier: Child,
    database: BenchDatabase,
    load: argparse.Namespace,
) -> dict[str, Any]:
    result, usage = measured_nodes(nodes, carrier, database, partial(submits, load, ports))
    return {**result, **run_figures(result, result["receipts_delivered"], usage)}


def _bare_round(bare: Child, port: int, carrier: Child, load: argparse.Namespace) -> dict[str, Any]:
    result, usage = measured(bare.pid, carrier.pid, partial(submits, load, port, receipts=False))
    return {**result, **run_figures(result, result["accepted"], usage)}


def _median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round whose accepted rate is the median (the lower middle one of an even count)."""
    ranked = sorted(rounds, key=lambda r: float(r["accepted_per_s"]))
    return ranked[(len(ranked) - 1) // 2]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate bench smpp", description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--binds", type=int, default=2, help="the customer's binds")
    parser.add_argument("--window", type=int, default=200, help="outstanding submits per bind")
    parser.add_argument("--upstream-binds", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--nodes", type=int, default=1, help="gateway nodes on one database (PostgreSQL past 1)"
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("SMSGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--receipt-delay", type=float, default=0.0)
    parser.add_argument(
        "--durability",
        choices=DURABILITY,
        default="disk",
        help="the gateway's: disk (fsync per commit) or process (survives a process kill only)",
    )
    parser.add_argument(
        "--prefix", default="", help="before each text: a channel's (__VIBER__: ), or none"
    )
    parser.add_argument("--first", type=int, default=0, help="the first message's number")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for receipts")
    parser.add_argument("--rounds", type=int, default=1, help="rounds on the same gateway")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="each round also against the bare SMPP server (its ceiling), alternating",
    )
    parser.add_argument("--json", action="store_true")
    return parser


def _row(r: dict[str, Any], bare: bool = False) -> str:
    receipts = ("-", "-") if bare else (f"{r['end_to_end_per_s']:,.0f}", r["receipts_delivered"])
    return (
        f"{r['accepted_per_s']:>11,.0f} {receipts[0]:>11} {receipts[1]:>9} "
        f"{r['gateway_cpu_s_per_10k']:>13.2f} "
        f"{r['carrier_cpu_s_per_10k']:>8.2f} {r['client_cpu_s_per_10k']:>7.2f} "
        f"{'/'.join(f'{v:g}' for v in r['submit_ms_p50_p99']):>16} "
        f"{shown(r['machine_pace'], '.2f'):>5} "
        f"{shown(r['accepted_per_s_at_reference_pace']):>23}  "
        f"{r['refused_by_status'] or '-'}"
    )


def _table(r: dict[str, Any]) -> list[str]:
    lines = [
        f"{'':>9} {'accepted/s':>11} {'receipts/s':>11} {'receipts':>9} {'CPU s/10k':>13} "
        f"{'carrier':>8} {'client':>7} {'resp ms p50/p99':>16} {'pace':>5} "
        f"{'accepted/s at ref pace':>23}  refused"
    ]
    for bare, rounds in ((False, r.get("rounds")), (True, r.get("reference_rounds"))):
        for one in rounds or ():
            lines.append(f"{'bare' if bare else 'smsgate':>7} {one['round']} {_row(one, bare)}")
    lines.append(f"{'median':>9} {_row(r)}")
    if "ratio_to_reference" in r:
        lines.append(
            f"smsgate / bare server (median accepted/s): {r['ratio_to_reference']:.3f} "
            f"({r['accepted_per_s']:,.0f} / {r['reference_accepted_per_s']:,.0f}); CPU s/10k "
            f"{r['gateway_cpu_s_per_10k']:.2f} / {r['reference_cpu_s_per_10k']:.2f}"
        )
    if r["carrier_queue_full"] or r["carrier_receipts_dropped"]:
        lines.append(
            f"the carrier held too many receipts: {r['carrier_queue_full']} submits refused "
            f"(ESME_RMSGQFUL), {r['carrier_receipts_dropped']} receipts dropped"
        )
    if r["backend"] == "postgres":
        lines.append(NODES_LINE.format(**r))
    return lines


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if args.nodes > 1 and args.backend == "sqlite":
        raise SystemExit("smsgate bench smpp: several nodes share a PostgreSQL database")
    if args.rounds < 1:
        raise SystemExit("smsgate bench smpp: --rounds is 1 or more")
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as workdir:
        result = _run(args, Path(workdir))
    target = FRONT_TARGETS.get(args.binds) if args.window == FRONT_WINDOW else None
    report = {
        "messages": args.messages,
        "binds": args.binds,
        "window": args.window,
        "durability": args.durability,
        "target_per_s": target or TARGET_PER_SECOND,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        **result,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print("\n".join(_table(result)))
    if target is None:
        print(f"target: {TARGET_PER_SECOND:,.0f} submit_sm/s accepted and persisted, every receipt")
    else:
        print(
            f"target: {target:,.0f} submit_sm/s accepted and persisted with {args.binds} bind(s) "
            f"of window {FRONT_WINDOW}; the bare server's rate (--reference) is the ceiling"
        )
    print(f"durability: {STORE_NOTES[args.backend, args.durability]}")
    print(PACE_NOTE)
    return 0
