"""The `smsgate` command."""

import argparse
import asyncio
import importlib
import json
import logging
import signal
import sys
from collections.abc import Sequence

from smsgate import __version__
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.constants import MessageState
from smsgate.smpp_send import send_and_wait
from smsgate.text import Concatenation, Encoding, TextError
from smsgate.transport.smpp_connection import SmppRequestError

DEMO_SYSTEM_ID = "demo"
DEMO_PASSWORD = "demo"

BENCHMARKS = {
    "codec": "SMPP submit_sm encode+decode round trips per second, beside smpp.pdu3",
    "fuzz": "feed the PDU decoder random and mutated input; count unexpected exceptions",
}


def _bench(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"smsgate.bench.{args.name}")
    result: int = module.main(args.rest)
    return result


async def _run_simulator(args: argparse.Namespace, banner: str) -> None:
    outcomes = {MessageState.DELIVERED: 1.0 - args.fail_ratio}
    if args.fail_ratio > 0:
        outcomes[MessageState.UNDELIVERABLE] = args.fail_ratio
    accounts = {args.system_id: args.password} if args.system_id else {}
    config = SimulatorConfig(
        host=args.host,
        port=args.port,
        accounts=accounts,
        response_latency=args.latency,
        receipt_delay=args.receipt_delay,
        outcomes=outcomes,
        max_tps=args.max_tps,
    )
    simulator = SmscSimulator(config)
    await simulator.start()
    print(banner.format(**{**vars(args), "port": config.port}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("stopping: unbinding clients", flush=True)
    await simulator.stop()
    print(json.dumps(simulator.counters), flush=True)


SERVE_BANNER = """smsgate {version}: embedded set-up
  The gateway engine (HTTP API, store, routing) is not built yet; this runs the part that
  exists: the built-in simulated carrier, a real SMPP 3.4/5.0 server on {host}:{port}.
  Demo account: system_id={system_id} password={password}
  Send a message through it and wait for the delivery receipt:
    .venv/bin/smsgate smpp-send --port {port} --system-id {system_id} --password {password} \\
        --to +819012345678 --text 'Hello from smsgate'
  Ctrl-C stops it."""

SIMULATOR_BANNER = "simulated SMSC listening on {host}:{port} (Ctrl-C stops it)"


def _serve(args: argparse.Namespace) -> int:
    asyncio.run(_run_simulator(args, SERVE_BANNER.replace("{version}", __version__)))
    return 0


def _simulator(args: argparse.Namespace) -> int:
    asyncio.run(_run_simulator(args, SIMULATOR_BANNER))
    return 0


def _smpp_send(args: argparse.Namespace) -> int:
    try:
        result = asyncio.run(
            send_and_wait(
                args.host,
                args.port,
                system_id=args.system_id,
                password=args.password,
                source=args.source,
                destination=args.to,
                text=args.text,
                encoding=Encoding(args.encoding) if args.encoding else None,
                concatenation=Concatenation(args.concatenation),
                receipt_timeout=args.wait,
            )
        )
    except (OSError, TimeoutError, SmppRequestError, TextError) as exc:
        print(f"smsgate smpp-send: {exc or type(exc).__name__}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "encoding": result.encoding,
                "segments": result.segments,
                "message_ids": result.message_ids,
                "receipts": [
                    {"id": r.message_id, "stat": r.stat, "err": r.error} for r in result.receipts
                ],
            },
            indent=2,
        )
    )
    return 0 if len(result.receipts) == len(result.message_ids) else 1


def _simulator_options(parser: argparse.ArgumentParser, system_id: str, password: str) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2775)
    parser.add_argument("--system-id", default=system_id, help="empty: any credentials bind")
    parser.add_argument("--password", default=password)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each resp")
    parser.add_argument("--receipt-delay", type=float, default=0.2, help="seconds to receipt")
    parser.add_argument("--fail-ratio", type=float, default=0.0, help="share of UNDELIV")
    parser.add_argument("--max-tps", type=float, default=None, help="ESME_RTHROTTLED above")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate", description="SMS gateway platform")
    parser.add_argument("--version", action="version", version=f"smsgate {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log protocol details")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run smsgate on its embedded defaults")
    _simulator_options(serve, DEMO_SYSTEM_ID, DEMO_PASSWORD)
    serve.set_defaults(func=_serve)

    simulator = commands.add_parser("simulator", help="run the simulated carrier SMSC")
    _simulator_options(simulator, "", "")
    simulator.set_defaults(func=_simulator)

    send = commands.add_parser("smpp-send", help="send one SMS over SMPP, wait for receipts")
    send.add_argument("--host", default="127.0.0.1")
    send.add_argument("--port", type=int, default=2775)
    send.add_argument("--system-id", default=DEMO_SYSTEM_ID)
    send.add_argument("--password", default=DEMO_PASSWORD)
    send.add_argument("--source", default="smsgate", help="+E.164, digits or alphanumeric")
    send.add_argument("--to", required=True, help="destination, +E.164")
    send.add_argument("--text", required=True)
    send.add_argument("--encoding", choices=[e.value for e in Encoding], default=None)
    send.add_argument("--concatenation", choices=[c.value for c in Concatenation], default="udh8")
    send.add_argument("--wait", type=float, default=10.0, help="seconds to wait for receipts")
    send.set_defaults(func=_smpp_send)

    bench = commands.add_parser(
        "bench",
        help="run a benchmark (prints a table, or JSON with --json)",
        description="\n".join(f"{k}: {v}" for k, v in BENCHMARKS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("name", choices=sorted(BENCHMARKS))
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="options of that benchmark")
    bench.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
