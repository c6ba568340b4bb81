"""`smsgate carriers import-portability` and `import-prefixes`, `smsgate routes import`: the
routing tables from CSV files into the database (SMSGATE_DB or --config), read by the same code
as the console's imports (`domain.carriers`, `domain.table_files`)."""

import argparse
import time
from pathlib import Path
from typing import Any

from smsgate.cli.common import refuse, run_on_store
from smsgate.domain.carriers import PortabilityFileError, load_portability_csv
from smsgate.domain.routing_tables import PortabilityRow
from smsgate.domain.table_files import TableFileError, load_prefixes_csv, load_routes_csv
from smsgate.store import Store


def _import_portability(args: argparse.Namespace) -> int:
    """All or nothing: every line is checked before the first row is written."""
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
        rows = load_portability_csv(text, default_country=args.country)
    except OSError as exc:
        return refuse("carriers import-portability", exc)
    except PortabilityFileError as exc:
        return refuse("carriers import-portability", f"{args.file}: {exc}")

    async def write(store: Store) -> int:
        now = time.time()
        return await store.import_portability(
            PortabilityRow(number, carrier, now) for number, carrier in rows.items()
        )

    count = run_on_store(args, write)
    print(f"{count} ported numbers imported; a running gateway uses them after its next start")
    return 0


PREFIX_SOURCE = "console"  # the same source as the console's imports: one replaces the other


def _import_prefixes(args: argparse.Namespace) -> int:
    try:
        rows = load_prefixes_csv(Path(args.file).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        return refuse("carriers import-prefixes", exc)
    except TableFileError as exc:
        return refuse("carriers import-prefixes", f"{args.file}: {exc}")
    count = run_on_store(args, lambda store: store.replace_carrier_prefixes(rows, PREFIX_SOURCE))
    print(f"{count} carrier prefixes imported; a running gateway uses them after its next start")
    return 0


def _import_routes(args: argparse.Namespace) -> int:
    try:
        routes = load_routes_csv(Path(args.file).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        return refuse("routes import", exc)
    except TableFileError as exc:
        return refuse("routes import", f"{args.file}: {exc}")
    run_on_store(args, lambda store: store.replace_routes(routes))
    print(f"{len(routes)} routes imported; a running gateway uses them after its next start")
    return 0


def add_route_import(tables: Any) -> None:
    """`smsgate routes import FILE` (under `smsgate routes`' subcommands)."""
    routes = tables.add_parser(
        "import", help="replace the route table with a CSV file (docs/console.md)"
    )
    routes.add_argument("file")
    routes.add_argument("--config", help="TOML configuration file")
    routes.set_defaults(func=_import_routes)


def add_carrier_commands(commands: Any) -> None:
    """`smsgate carriers import-portability FILE`, `smsgate carriers import-prefixes FILE`"""
    carriers = commands.add_parser("carriers", help="carrier data (in SMSGATE_DB)")
    carrier_commands = carriers.add_subparsers(dest="carriers_command", required=True)
    portability = carrier_commands.add_parser(
        "import-portability", help="import a number-portability CSV (header: number,carrier)"
    )
    portability.add_argument("file")
    portability.add_argument("--country", help="for national numbers, e.g. JP")
    portability.add_argument("--config", help="TOML configuration file")
    portability.set_defaults(func=_import_portability)
    prefixes = carrier_commands.add_parser(
        "import-prefixes", help="replace the imported carrier prefixes (header: prefix,carrier)"
    )
    prefixes.add_argument("file")
    prefixes.add_argument("--config", help="TOML configuration file")
    prefixes.set_defaults(func=_import_prefixes)
