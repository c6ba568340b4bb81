"""The `smsgate` command: the parser, put together from the command modules, and its entry
point (the console script and `python -m smsgate`)."""

import argparse
import logging
from collections.abc import Sequence

from smsgate import __version__
from smsgate.cli.access import add_access_commands
from smsgate.cli.account_keys import add_account_key_commands
from smsgate.cli.account_lifecycle import add_account_lifecycle_commands
from smsgate.cli.account_views import add_account_view_commands
from smsgate.cli.accounts import add_create_command
from smsgate.cli.balance import add_balance_commands
from smsgate.cli.bench import add_bench_command
from smsgate.cli.callbacks import add_callback_commands
from smsgate.cli.carriers import add_carrier_commands
from smsgate.cli.connectors import add_connector_commands
from smsgate.cli.database import add_db_options
from smsgate.cli.inbound import add_account_commands, add_inbound_commands
from smsgate.cli.outbox import add_outbox_commands
from smsgate.cli.providers_simulator import add_providers_simulator_command
from smsgate.cli.queue import add_queue_command
from smsgate.cli.rcs_simulator import add_rcs_simulator_command
from smsgate.cli.routes import add_route_commands
from smsgate.cli.send import add_send_commands
from smsgate.cli.serve import add_serve_command
from smsgate.cli.simulator import add_simulator_command
from smsgate.cli.smpp_send import add_smpp_send_command
from smsgate.cli.users import add_user_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate", description="SMS gateway platform")
    parser.add_argument("--version", action="version", version=f"smsgate {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log protocol details")
    commands = parser.add_subparsers(dest="command", required=True)
    # added in the order `smsgate --help` lists them
    add_serve_command(commands)
    account = commands.add_parser("account", help="manage accounts (in --db or SMSGATE_DB)")
    account_commands = account.add_subparsers(dest="account_command", required=True)
    add_create_command(account_commands)
    add_account_view_commands(account_commands)
    add_account_lifecycle_commands(account_commands)
    add_account_key_commands(account_commands)
    add_account_commands(account_commands)
    add_callback_commands(account_commands)
    add_access_commands(account_commands)
    add_balance_commands(account_commands)
    add_inbound_commands(commands)
    add_queue_command(commands)
    add_outbox_commands(commands)
    add_connector_commands(commands)
    add_route_commands(commands)
    add_user_commands(commands)
    add_carrier_commands(commands)
    add_send_commands(commands)
    add_simulator_command(commands)
    add_rcs_simulator_command(commands)
    add_providers_simulator_command(commands)
    add_smpp_send_command(commands)
    add_bench_command(commands)
    add_db_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    result: int = args.func(args)
    return result
