"""`smsgate rcs-simulator`: the simulated RCS (+message) platform as a process of its own, for
a gateway configured with an RCS connector (`[[connectors]]` with kind = "rcs") pointing at it."""

import argparse
import asyncio
import json
import signal
from typing import Any

from smsgate.runtime import run_async
from smsgate.simulator.rcs import RcsSimulator, RcsSimulatorConfig

BANNER = "simulated RCS platform listening on {url} (Ctrl-C stops it)"


async def _run(args: argparse.Namespace) -> None:
    defaults = RcsSimulatorConfig()
    simulator = RcsSimulator(
        RcsSimulatorConfig(
            host=args.host,
            port=args.port,
            token=args.token,
            webhook_url=args.webhook_url,
            webhook_token=args.webhook_token,
            capable_share=args.capable_share,
            delivery_delay=args.delivery_delay,
            read_delay=args.read_delay,
            read_share=args.read_share,
            tap_share=args.tap_share if args.tap_share is not None else defaults.tap_share,
            reply_share=args.reply_share if args.reply_share is not None else defaults.reply_share,
            seed=args.seed,
        )
    )
    await simulator.start()
    print(BANNER.format(url=simulator.base_url), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await simulator.stop()
    print(json.dumps(simulator.counters), flush=True)


def _rcs_simulator(args: argparse.Namespace) -> int:
    run_async(_run(args))
    return 0


def add_rcs_simulator_command(commands: Any) -> None:
    """`smsgate rcs-simulator [--port PORT] [--webhook-url URL] ...`"""
    parser = commands.add_parser("rcs-simulator", help="run the simulated RCS (+message) platform")
    defaults = RcsSimulatorConfig()
    # every help names its default
    parser.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=defaults.port, help="(default: %(default)s)")
    parser.add_argument(
        "--token", default=defaults.token, help="the bearer token bots send (default: %(default)s)"
    )
    parser.add_argument(
        "--webhook-url",
        default="",
        help="where events go: the gateway's /connectors/rcs/ID/events (default: none sent)",
    )
    parser.add_argument(
        "--webhook-token",
        default=defaults.webhook_token,
        help="the bearer token its webhooks carry (default: %(default)s)",
    )
    shares = (
        ("--capable-share", defaults.capable_share, "numbers that can receive RCS"),
        ("--read-share", defaults.read_share, "delivered messages the user reads"),
        ("--tap-share", None, "read messages whose first suggestion is tapped"),
        ("--reply-share", None, "other read messages answered with a text"),
    )
    for flag, default, meaning in shares:
        shown = "%(default)s" if default is not None else "the simulator's"
        parser.add_argument(flag, type=float, default=default, help=f"{meaning} ({shown})")
    parser.add_argument(
        "--delivery-delay",
        type=float,
        default=defaults.delivery_delay,
        help="seconds from acceptance to delivered (default: %(default)s)",
    )
    parser.add_argument(
        "--read-delay",
        type=float,
        default=defaults.read_delay,
        help="seconds from delivered to displayed (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    parser.set_defaults(func=_rcs_simulator)
