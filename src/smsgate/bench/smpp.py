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
    bench_database,
    create_account,
    free_port,
    gateway_config,
    measured_nodes,
    percentiles_ms,
    run_figures,
    shown,
    start_carrier,
    start_nodes,
    stop_carrier,
)
from smsgate.runtime import run_async
from smsgate.smpp.constants import is_receipt, status_name
from smsgate.smpp.pdu import BindTransceiver, DeliverSm, Request, SubmitSm
from smsgate.smpp.session import SessionConfig
from smsgate.transport.smpp_connection import SmppConnection, connect

TARGET_PER_SECOND = 10_000.0
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


async def submit_all(args: argparse.Namespace, port: int | Sequence[int]) -> dict[str, Any]:
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
    if customer.receipts < accepted:
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


def _run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with bench_database(args.backend, args.pg, workdir) as database:
        carrier, carrier_port = start_carrier(args.receipt_delay, "bench")
        try:
            ports, configs = [], []
            for node in range(args.nodes):  # one SMPP port each
                ports.append(free_port())
                config = gateway_config(
                    workdir / f"smpp-{node}.toml",
                    db=database.url,
                    http_port=0,
                    queue=args.messages + 1000,
                    carrier_port=carrier_port,
                    connector=f'password = "bench"\nbinds = {args.upstream_binds}\nwindow = 100',
                    smpp_port=ports[-1],
                )
                # the server's window per bind is the client's
                config.write_text(f"smpp_window = {args.window}\n" + config.read_text())
                configs.append(config)
            create_account(
                configs[0], "bench", "--smpp-system-id", SYSTEM_ID, "--smpp-password", PASSWORD
            )
            nodes = start_nodes(args.nodes, configs)

            def load() -> dict[str, Any]:
                for (_, banner), port in zip(nodes, ports, strict=True):
                    if not re.search(rf"SMPP server +[\d.]+:{port}\b", banner):
                        raise RuntimeError(f"no SMPP server on {port} in:\n{banner}")
                return run_async(submit_all(args, ports))

            result, usage = measured_nodes(nodes, carrier, database, load)
        finally:
            carrier_counters = stop_carrier(carrier)
    result.update(
        backend=args.backend,
        nodes=args.nodes,
        # a carrier that held too many undelivered receipts refused submits, then dropped some
        carrier_submitted=carrier_counters["submitted"],
        carrier_duplicates=carrier_counters["duplicates"],
        carrier_queue_full=carrier_counters["queue_full"],
        carrier_receipts_dropped=carrier_counters["receipts_dropped"],
        **run_figures(result, result["receipts_delivered"], usage),
    )
    return result


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
        "--prefix", default="", help="before each text: a channel's (__VIBER__: ), or none"
    )
    parser.add_argument("--first", type=int, default=0, help="the first message's number")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for receipts")
    parser.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if args.nodes > 1 and args.backend == "sqlite":
        raise SystemExit("smsgate bench smpp: several nodes share a PostgreSQL database")
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as workdir:
        result = _run(args, Path(workdir))
    report = {
        "messages": args.messages,
        "binds": args.binds,
        "window": args.window,
        "target_per_s": TARGET_PER_SECOND,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        **result,
    }
    if args.json:
        print(json.dumps(report))
    else:
        r = result
        print(
            f"{'accepted/s':>11} {'receipts/s':>11} {'receipts':>9} {'gw CPU s/10k':>13} "
            f"{'carrier':>8} {'client':>7} {'resp ms p50/p99':>16} {'pace':>5} "
            f"{'accepted/s at ref pace':>23}  refused"
        )
        print(
            f"{r['accepted_per_s']:>11,.0f} {r['end_to_end_per_s']:>11,.0f} "
            f"{r['receipts_delivered']:>9} {r['gateway_cpu_s_per_10k']:>13.2f} "
            f"{r['carrier_cpu_s_per_10k']:>8.2f} {r['client_cpu_s_per_10k']:>7.2f} "
            f"{'/'.join(f'{v:g}' for v in r['submit_ms_p50_p99']):>16} "
            f"{shown(r['machine_pace'], '.2f'):>5} "
            f"{shown(r['accepted_per_s_at_reference_pace']):>23}  "
            f"{r['refused_by_status'] or '-'}"
        )
        if r["carrier_queue_full"] or r["carrier_receipts_dropped"]:
            print(
                f"the carrier held too many receipts: {r['carrier_queue_full']} submits refused "
                f"(ESME_RMSGQFUL), {r['carrier_receipts_dropped']} receipts dropped"
            )
        if r["backend"] == "postgres":
            print(NODES_LINE.format(**r))
        print(f"target: {TARGET_PER_SECOND:,.0f} submit_sm/s accepted and persisted, every receipt")
        print(PACE_NOTE)
    return 0
