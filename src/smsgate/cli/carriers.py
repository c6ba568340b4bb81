"""`smsgate carriers import-portability`: ported numbers into the database (SMSGATE_DB or
--config)."""

import argparse
import time
from pathlib import Path
from typing import Any

from smsgate.cli.common import refuse, run_on_store
from smsgate.domain.carriers import PortabilityFileError, load_portability_csv
from smsgate.domain.routing_tables import PortabilityRow
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


def add_carrier_commands(commands: Any) -> None:
    """`smsgate carriers import-portability FILE`"""
    carriers = commands.add_parser("carriers", help="carrier data (in SMSGATE_DB)")
    carrier_commands = carriers.add_subparsers(dest="carriers_command", required=True)
    portability = carrier_commands.add_parser(
        "import-portability", help="import a number-portability CSV (header: number,carrier)"
    )
    portability.add_argument("file")
    portability.add_argument("--country", help="for national numbers, e.g. JP")
    portability.add_argument("--config", help="TOML configuration file")
    portability.set_defaults(func=_import_portability)
