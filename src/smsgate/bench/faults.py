"""`smsgate bench faults`: a fault campaign on loopback. Each scenario runs real `smsgate serve`
nodes, the simulated carrier and a callback receiver, offers a steady load over the REST API,
injects its fault, heals it, and then reads the store: accepted (2xx answers with an id), final
(those in a final status by the deadline), lost (accepted, then missing or not final),
duplicated (submit_sm the carrier saw twice for the same message: every message has a text of
its own), callbacks expected and delivered (each accepted message's final-status callback), and
the recovery time (what it measures is printed beside it).

PostgreSQL scenarios run on a private cluster started for the run (initdb and pg_ctl, on a free
loopback port, a database per scenario), so restarting it touches no one else; without the
binaries they use a fresh database on SMSGATE_TEST_PG and the restart scenario is skipped with
the reason. The targets: nothing accepted lost, duplicates at most one connector window per
bind lost, every callback delivered. docs/faults.md describes each scenario.
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from smsgate.bench.faults_rig import Result
from smsgate.bench.faults_scenarios import FULL, SCENARIOS, SHORT, Campaign


async def campaign(names: Sequence[str], short: bool, workdir: Path) -> list[Result]:
    run = Campaign(workdir, SHORT if short else FULL)
    results = []
    try:
        for name in names:
            began = time.monotonic()
            try:
                result = await SCENARIOS[name](run)
            except Exception as error:  # a scenario that broke is a row saying so
                result = Result(name, skipped=None, notes=[f"error: {error!r}"])
                result.lost_ids = ["scenario error"]
                result.lost = -1
            result.seconds = round(time.monotonic() - began, 1)
            result.judge()
            if result.lost < 0:
                result.passed = False
            results.append(result)
            print(f"# {name}: {'ok' if result.passed else 'FAILED'}", file=sys.stderr, flush=True)
    finally:
        await asyncio.to_thread(run.close)
    return results


def table(results: Sequence[Result]) -> str:
    head = (
        f"{'scenario':16} {'store':8} {'nodes':>5} {'accepted':>8} {'final':>6} {'lost':>5} "
        f"{'dup':>4} {'bound':>5} {'callbacks':>11} {'recovery':>9}  result"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        if r.skipped:
            lines.append(f"{r.scenario:16} skipped: {r.skipped}")
            continue
        recovery = "-" if r.recovery_s is None else f"{r.recovery_s:.2f} s"
        lines.append(
            f"{r.scenario:16} {r.store:8} {r.nodes:>5} {r.accepted:>8} {r.final:>6} "
            f"{r.lost:>5} {r.duplicated:>4} {r.duplicate_bound:>5} "
            f"{f'{r.callbacks_delivered}/{r.callbacks_expected}':>11} {recovery:>9}  "
            f"{'ok' if r.passed else 'FAILED'}"
        )
    lines.append("")
    for r in results:
        details = []
        if r.recovery_of:
            details.append(f"recovery: {r.recovery_of}")
        if r.refused:
            details.append(f"refused {r.refused}")
        if r.unanswered:
            details.append(f"{r.unanswered} requests without an answer")
        details += r.notes
        if r.lost_ids:
            details.append(f"lost e.g. {r.lost_ids[:3]}")
        details.append(f"{r.seconds:g} s")
        lines.append(f"{r.scenario}: " + "; ".join(details))
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="smsgate bench faults", description=__doc__)
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="run this scenario (repeatable; default: all)",
    )
    parser.add_argument(
        "--short", action="store_true", help="the short sizes `make test` runs (a few seconds each)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = parser.parse_args(list(argv))
    names = args.scenario or list(SCENARIOS)
    with tempfile.TemporaryDirectory(prefix="smsgate-faults-") as workdir:
        results = asyncio.run(campaign(names, args.short, Path(workdir)))
    if args.json:
        print(json.dumps({"short": args.short, "scenarios": [asdict(r) for r in results]}))
    else:
        print(table(results))
    return 0 if all(r.passed or r.skipped for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
