"""`smsgate simulator`: the simulated carrier SMSC as a process of its own."""

import argparse
import asyncio
import json
import signal
from typing import Any

from smsgate.runtime import run_async
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.constants import MessageState

# the credentials it accepts unless told otherwise, and `smsgate smpp-send` binds with
SIMULATOR_SYSTEM_ID = "demo"
SIMULATOR_PASSWORD = "demo"

SIMULATOR_BANNER = "simulated SMSC listening on {host}:{port} (Ctrl-C stops it)"


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
        mo_interval=args.mo_interval,
        held_receipts=args.held_receipts,
        drop_interval=args.drop_every,
        throttle_interval=args.throttle_every,
        throttle_burst=args.throttle_burst,
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


def _simulator(args: argparse.Namespace) -> int:
    run_async(_run_simulator(args, SIMULATOR_BANNER))
    return 0


def _simulator_options(parser: argparse.ArgumentParser, system_id: str, password: str) -> None:
    # every help names its default
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=2775, help="port to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--system-id",
        default=system_id,
        help="the system_id clients must bind with (default: %(default)s); "
        "'' lets any system_id and password bind",
    )
    parser.add_argument("--password", default=password, help="its password (default: %(default)s)")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds before each resp (default: %(default)s)",
    )
    parser.add_argument(
        "--receipt-delay",
        type=float,
        default=0.2,
        help="seconds from submit to receipt (default: %(default)s)",
    )
    parser.add_argument(
        "--fail-ratio",
        type=float,
        default=0.0,
        help="share of messages that end UNDELIV (default: %(default)s)",
    )
    parser.add_argument(
        "--max-tps",
        type=float,
        default=None,
        help="submit_sm per second, ESME_RTHROTTLED above (default: no limit)",
    )
    parser.add_argument(
        "--mo-interval",
        type=float,
        default=None,
        help="seconds between generated MO messages (default: none generated)",
    )
    parser.add_argument(
        "--held-receipts",
        type=int,
        default=SimulatorConfig.held_receipts,
        help="receipts held per login while no receiver has room; past it ESME_RMSGQFUL "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--drop-every",
        type=float,
        default=None,
        help="cut every connection (no unbind) every this many seconds (default: never)",
    )
    parser.add_argument(
        "--throttle-every",
        type=float,
        default=None,
        help="every this many seconds a burst of ESME_RTHROTTLED to every submit (default: none)",
    )
    parser.add_argument(
        "--throttle-burst",
        type=float,
        default=1.0,
        help="seconds each ESME_RTHROTTLED burst lasts (default: %(default)s)",
    )


def add_simulator_command(commands: Any) -> None:
    """`smsgate simulator [--port PORT] ...`"""
    simulator = commands.add_parser("simulator", help="run the simulated carrier SMSC")
    _simulator_options(simulator, SIMULATOR_SYSTEM_ID, SIMULATOR_PASSWORD)
    simulator.set_defaults(func=_simulator)
