"""`smsgate bench NAME`: the benchmarks under smsgate.bench, each its own module and options."""

import argparse
import importlib
from typing import Any

BENCHMARKS = {
    "codec": "SMPP submit_sm encode+decode round trips per second, beside smpp.pdu3",
    "fuzz": "feed the PDU decoder random and mutated input; count unexpected exceptions",
    "store": "message inserts and part updates per second through the store, SQLite and PostgreSQL",
    "e2e": "messages per second through REST, store, SMPP and receipts, with CPU per 10k",
    "crash": "kill -9 the gateway mid-stream, restart it, count lost and doubly sent messages",
    "bind": "one upstream bind's throughput against a carrier answering after 50 ms",
    "callbacks": "signed status callbacks delivered per second to a local receiver",
    "smpp": "submit_sm per second through the SMPP server with receipts back, with CPU per 10k",
    "dialects": "Reach create vs native POST /v1/messages in the same run, as a ratio",
    "channels": "an SMPP stream asking for Viber (__VIBER__: ) beside plain SMS, as a ratio",
    "email": "e-mails per second through the e-mail connector to a simulated SMTP relay",
    "console": "the console over 1,000,000 messages: search page loads, dashboard CPU",
    "rcs": "+message (RCS) beside SMS through the KDDI endpoint; the fallback's delay after TTL",
    "kannel": "smsgate beside Kannel (MT, MO, a 50 ms carrier) in alternating rounds, as ratios",
    "flood": "/healthz p50/p99 while one SMPP client floods enquire_links, beside no flood",
    "faults": "fault campaign: node kills, bind drops, PostgreSQL restart and partition, full or "
    "damaged SQLite, callback receiver down; lost, duplicated, callbacks, recovery",
}


def _bench(args: argparse.Namespace) -> int:
    # by name: only the benchmark asked for is imported
    module = importlib.import_module(f"smsgate.bench.{args.name}")
    result: int = module.main(args.rest)
    return result


def add_bench_command(commands: Any) -> None:
    """`smsgate bench NAME [OPTIONS]`"""
    bench = commands.add_parser(
        "bench",
        help="run a benchmark (prints a table, or JSON with --json)",
        description="\n".join(f"{k}: {v}" for k, v in BENCHMARKS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("name", choices=sorted(BENCHMARKS))
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="options of that benchmark")
    bench.set_defaults(func=_bench)
