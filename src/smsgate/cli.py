"""The `smsgate` command."""

import argparse
import importlib
import sys
from collections.abc import Sequence

from smsgate import __version__

BENCHMARKS = {
    "codec": "SMPP submit_sm encode+decode round trips per second, beside smpp.pdu3",
    "fuzz": "feed the PDU decoder random and mutated input; count unexpected exceptions",
}


def _bench(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"smsgate.bench.{args.name}")
    result: int = module.main(args.rest)
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate", description="SMS gateway platform")
    parser.add_argument("--version", action="version", version=f"smsgate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

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
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
