"""`smsgate providers-simulator`: the simulated providers of voice calls, Viber, Telegram codes
and bots and social networks as a process of its own, for provider connectors (`[[connectors]]`
with kind = "voice", "viber", "telegram", "bot" or "social") pointing at it."""

import argparse
import json
from typing import Any

from smsgate.runtime import run_async
from smsgate.simulator.providers import ProvidersSimulatorConfig, serve


def _providers_simulator(args: argparse.Namespace) -> int:
    config = ProvidersSimulatorConfig(
        host=args.host,
        port=args.port,
        token=args.token,
        webhook_url=args.webhook_url,
        webhook_token=args.webhook_token,
        failure_share=args.failure_share,
        seed=args.seed,
    )
    if args.delay is not None:
        config.delays.update(dict.fromkeys(config.delays, args.delay))
    print(json.dumps(run_async(serve(config))), flush=True)
    return 0


def add_providers_simulator_command(commands: Any) -> None:
    """`smsgate providers-simulator [--port PORT] [--webhook-url URL] ...`"""
    parser = commands.add_parser(
        "providers-simulator",
        help="run the simulated providers of calls, Viber, Telegram and social networks",
    )
    defaults = ProvidersSimulatorConfig()
    # every help names its default
    parser.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=defaults.port, help="(default: %(default)s)")
    parser.add_argument(
        "--token",
        default=defaults.token,
        help="the bearer token senders send (default: %(default)s)",
    )
    parser.add_argument(
        "--webhook-url",
        default="",
        help="where reports go, {channel} replaced by the channel: the gateway's"
        " /connectors/{channel}/ID/events (default: none sent)",
    )
    parser.add_argument(
        "--webhook-token",
        default=defaults.webhook_token,
        help="the bearer token its reports carry (default: %(default)s)",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=None,
        help="seconds from a send to its report, every channel (default: each channel's own)",
    )
    parser.add_argument(
        "--failure-share",
        type=float,
        default=defaults.failure_share,
        help="messages that end failed (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    parser.set_defaults(func=_providers_simulator)
