"""`smsgate bench store`: durable writes per second through `Store.write`, by backend.

Message inserts (one part each) with 1, 100 and 1000 concurrent writers, each write awaited
until committed, then part updates by id (as delivery receipts make) at the same concurrency
levels. SQLite runs in a temporary directory; PostgreSQL, when reachable, in a temporary
schema dropped afterwards.
"""

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg

from smsgate.domain.ids import new_id
from smsgate.domain.message import Message, Part
from smsgate.domain.status import Status
from smsgate.store import PartUpdate, Store
from smsgate.store.postgres import PostgresStore
from smsgate.store.sqlite import SqliteStore

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
CONCURRENCY = (1, 100, 1000)


def _message() -> Message:
    message_id = new_id()
    now = time.time()
    return Message(
        id=message_id,
        account_id="bench",
        source="smsgate",
        source_ton=5,
        source_npi=0,
        destination="819012345678",
        text="benchmark message",
        encoding="gsm7",
        data_coding=0,
        segments=1,
        created_at=now,
        updated_at=now,
        valid_until=now + 86_400,
        parts=[Part(message_id=message_id, seq=1, short_message=b"benchmark message")],
    )


async def _drive(
    store: Store, count: int, writers: int, make: Callable[[int], Awaitable[None]]
) -> dict[str, Any]:
    """Run `make(i)` for i in range(count) from `writers` concurrent tasks."""
    latencies: list[float] = []
    next_index = 0

    async def writer() -> None:
        nonlocal next_index
        while next_index < count:
            index = next_index
            next_index += 1
            started = time.perf_counter()
            await make(index)
            latencies.append(time.perf_counter() - started)

    before = dict(store.stats)
    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    elapsed = time.perf_counter() - started
    transactions = store.stats["transactions"] - before["transactions"]
    latencies.sort()
    return {
        "writers": writers,
        "operations": count,
        "seconds": round(elapsed, 3),
        "per_second": round(count / elapsed),
        "transactions": transactions,
        "writes_per_transaction": round(count / max(transactions, 1), 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


async def _bench(store: Store, total: int) -> list[dict[str, Any]]:
    results = []
    for writers in CONCURRENCY:
        # a lone writer pays one commit (an fsync) per write: a tenth of the writes tells as much
        count = total if writers > 1 else max(total // 10, 100)
        messages = [_message() for _ in range(count)]

        async def insert(index: int, messages: list[Message] = messages) -> None:
            await store.write([messages[index]])

        results.append({"test": "insert", **await _drive(store, count, writers, insert)})

        async def update(index: int, messages: list[Message] = messages) -> None:
            at = time.time()
            await store.write(
                [
                    PartUpdate(
                        messages[index].id, 1, Status.SENT, at, upstream_id=f"up{index}", done_at=at
                    )
                ]
            )

        results.append({"test": "part update", **await _drive(store, count, writers, update)})
    return results


async def _sqlite(count: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as directory:
        async with SqliteStore(Path(directory) / "bench.db") as store:
            return await _bench(store, count)


async def _postgres(url: str, count: int) -> list[dict[str, Any]] | str:
    schema = f"smsgate_bench_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(url, timeout=5)
    except Exception as error:  # any reason: reported, and the SQLite figures still print
        return f"not reachable at {url}: {error!r}"
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in url else "?"
        async with PostgresStore(f"{url}{separator}search_path={schema}") as store:
            return await _bench(store, count)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


def _table(backend: str, rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{backend}",
        f"  {'test':<12} {'writers':>7} {'writes':>7} {'per second':>11} {'transactions':>12} "
        f"{'writes/tx':>9} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    for row in rows:
        lines.append(
            f"  {row['test']:<12} {row['writers']:>7} {row['operations']:>7} "
            f"{row['per_second']:>11,} {row['transactions']:>12} "
            f"{row['writes_per_transaction']:>9} "
            f"{row['p50_ms']:>8} {row['p99_ms']:>8}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="smsgate bench store", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--pg", default=DEFAULT_PG, help=f"PostgreSQL URL (default {DEFAULT_PG})")
    parser.add_argument(
        "--count",
        type=int,
        default=20_000,
        help="writes per test (default 20000; a tenth of that for the lone writer)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(list(argv))
    if args.count < max(CONCURRENCY):
        parser.error(f"--count must be at least {max(CONCURRENCY)}")

    report: dict[str, Any] = {"count": args.count, "results": {}, "skipped": {}}
    if args.backend in ("sqlite", "all"):
        report["results"]["sqlite"] = asyncio.run(_sqlite(args.count))
    if args.backend in ("postgres", "all"):
        outcome = asyncio.run(_postgres(args.pg, args.count))
        if isinstance(outcome, str):
            report["skipped"]["postgres"] = outcome
        else:
            report["results"]["postgres"] = outcome

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"durable writes through Store.write, {args.count} per test, one part per message")
        for backend, rows in report["results"].items():
            print(_table(backend, rows))
        for backend, reason in report["skipped"].items():
            print(f"{backend}: skipped, {reason}")
    if args.backend == "postgres" and report["skipped"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
