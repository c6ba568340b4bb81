"""`smsgate bench console`: the web console over a store of many messages (1,000,000 by default),
on SQLite and PostgreSQL: time to first byte and full load (the HTML, its stylesheet and script)
of the message search page for the searches an operator makes, and the dashboard's CPU per
refresh. A page of 10,000 messages is among the searches: its first byte comes after the first
1000 rows are read, its full load once all are sent.

The messages are written straight into the store's own tables (`store.rows` MESSAGES and
PARTS: executemany on SQLite, COPY on PostgreSQL), not through the gateway, so that a million
take seconds. Each run makes its own SQLite file (in a temporary directory) or PostgreSQL
schema and removes it afterwards. A whole gateway (no carrier, no SMPP server) then serves the
console on loopback, and an operator's session asks for the pages over real HTTP.
"""

import argparse
import asyncio
import json
import random
import re
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import asyncpg
import httpx

from smsgate.app import App
from smsgate.config import Config
from smsgate.domain.account import Account
from smsgate.domain.message import Message, Part
from smsgate.domain.status import Status
from smsgate.store import open_store
from smsgate.store.rows import MESSAGES, PARTS, message_values, part_values

DEFAULT_PG: Final = "postgresql://postgres@127.0.0.1:5432/test"
PASSWORD: Final = "bench console password"
CHUNK: Final = 50_000  # rows per executemany or COPY
MAX_MESSAGES: Final = 5_000_000
SPAN: Final = 30 * 86_400.0  # the messages' creation times spread over the last 30 days
# the statuses the messages end in (per mille)
STATUSES: Final = ((Status.DELIVERED, 940), (Status.UNDELIVERED, 30), (Status.FAILED, 20))
STATUSES_REST: Final = Status.EXPIRED
ASSET: Final = re.compile(r'(?:href|src)="(/console/static/[^"]+)"')
ROW: Final = re.compile(r'<tr><td><a href="/console/messages/')  # one message of the results


def _searches(number: str, tag: str, day: str) -> dict[str, dict[str, str]]:
    """The searches measured, by name: the query string beside ?account=."""
    return {
        "newest 50": {},
        "newest 1000": {"limit": "1000"},
        # the longest page, read from the store 1000 rows at a time while it is sent
        "newest 10000": {"limit": "10000"},
        "by number": {"number": "+" + number},
        "by tag": {"tag": tag},
        "status failed": {"status": "failed"},
        "status expired": {"status": "expired"},
        "one day": {"from": day, "to": day},
        "client ref": {"client_ref": "ref-7"},
        # nothing matches: the worst case, every message of the account looked at unless an
        # index answers
        "status canceled": {"status": "canceled"},
        "comment text": {"comment": "no such words"},
    }


def _message_id(ms: int, rng: random.Random) -> str:
    """An id as `domain.ids.new_id` makes them, for a given millisecond (ordered by it)."""
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | 0b10 << 62 | rng.getrandbits(62)
    return f"{value:032x}"


def _status(roll: int) -> Status:
    for status, share in STATUSES:
        if roll < share:
            return status
        roll -= share
    return STATUSES_REST


def generate(
    count: int, account_ids: Sequence[str], now: float, seed: int = 1
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (message rows, part rows), oldest first, in the store's column order, the
    accounts taking turns: one part per message, 10,000 recipients, one message in 20 with a
    tag, one in 50 a client reference."""
    rng = random.Random(seed)
    start = now - SPAN
    step = SPAN / max(count, 1)
    template = Message(
        id="",
        account_id="",
        source="SHOP",
        source_ton=5,
        source_npi=0,
        destination="",
        text="",
        encoding="gsm7",
        data_coding=0,
        segments=1,
        created_at=0.0,
        updated_at=0.0,
        valid_until=0.0,
        origin="http",
        route_id="default",
        carrier="docomo",
    )
    part = Part(message_id="", seq=1, short_message=b"", connector_id="carrier-1", attempts=1)
    messages: list[tuple[Any, ...]] = []
    parts: list[tuple[Any, ...]] = []
    for index in range(count):
        created = start + index * step
        status = _status(rng.randrange(1000))
        template.id = part.message_id = _message_id(int(created * 1000), rng)
        template.account_id = account_ids[index % len(account_ids)]
        template.destination = f"8190{rng.randrange(10_000):08d}"
        template.text = f"Your code is {rng.randrange(1_000_000):06d}"
        template.created_at, template.valid_until = created, created + 86_400.0
        template.updated_at = part.submitted_at = part.done_at = created + 3.0
        template.status = part.status = status
        template.tag = f"campaign-{index // 50_000}" if index % 20 == 0 else None
        template.client_ref = f"ref-{index}" if index % 50 == 0 else None
        template.error_code = part.error_code = (
            None if status is Status.DELIVERED else "undeliverable"
        )
        part.short_message = template.text.encode()
        part.upstream_id = f"c{index}"
        messages.append(message_values(template))
        parts.append(part_values(part))
        if len(messages) >= CHUNK:
            yield messages, parts
            messages, parts = [], []
    if messages:
        yield messages, parts


def _insert(table: Any) -> str:
    names = [column.name for column in table.columns]
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def fill_sqlite(path: Path, count: int, account_ids: Sequence[str]) -> float:
    """Seconds to write `count` messages into the SQLite file (the store closed meanwhile)."""
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    try:
        for messages, parts in generate(count, account_ids, time.time()):
            with connection:
                connection.executemany(_insert(MESSAGES), messages)
                connection.executemany(_insert(PARTS), parts)
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return time.perf_counter() - started


async def fill_postgres(url: str, schema: str, count: int, account_ids: Sequence[str]) -> float:
    """Seconds to COPY `count` messages into the schema's tables."""
    started = time.perf_counter()
    connection = await asyncpg.connect(url, timeout=10, server_settings={"search_path": schema})
    try:
        names = {t.name: [c.name for c in t.columns] for t in (MESSAGES, PARTS)}
        for messages, parts in generate(count, account_ids, time.time()):
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "messages", records=messages, columns=names["messages"], schema_name=schema
                )
                await connection.copy_records_to_table(
                    "parts", records=parts, columns=names["parts"], schema_name=schema
                )
        await connection.execute("ANALYZE messages; ANALYZE parts")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def _accounts(url: str) -> list[str]:
    """Two accounts, sending half the messages each."""
    store = await open_store(url)
    try:
        ids = []
        for name in ("busy", "quiet"):
            account = Account(id=secrets.token_hex(16), name=name)
            await store.create_account(account)
            ids.append(account.id)
        return ids
    finally:
        await store.close()


async def _page(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> tuple[float, float, int]:
    """(ms to the first byte of the page, ms to the whole page with its stylesheet and script,
    messages listed), each asset asked for as a browser with an empty cache would."""
    started = time.perf_counter()
    async with client.stream("GET", path, params=params) as response:
        first = time.perf_counter()
        body = await response.aread()
    if response.status_code != 200:
        raise RuntimeError(f"{path} {params}: HTTP {response.status_code}")
    text = body.decode()
    assets = ASSET.findall(text)
    await asyncio.gather(*(client.get(asset) for asset in assets))
    done = time.perf_counter()
    return (first - started) * 1000, (done - started) * 1000, len(ROW.findall(text))


async def measure(url: str, account_id: str, repeat: int, refreshes: int) -> dict[str, Any]:
    """The console's figures with a whole gateway on `url`."""
    config = Config(db=url, http_port=0, smpp_port=None)
    app = App(config)
    await app.start()
    try:
        assert app.gateway is not None and app.http is not None
        await app.gateway.admin.create_user("bench", "operator", PASSWORD)
        base = f"http://127.0.0.1:{app.http.port}"
        async with httpx.AsyncClient(base_url=base, timeout=120.0) as client:
            form = await client.get("/console/login")
            token = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert token is not None
            login = await client.post(
                "/console/login",
                data={"name": "bench", "password": PASSWORD, "csrf": token.group(1)},
            )
            if login.status_code != 303:
                raise RuntimeError(f"login: HTTP {login.status_code}")
            newest = await app.gateway.queries.messages(account_id, limit=1)
            sample = newest[0][0]
            day = time.strftime("%Y-%m-%d", time.gmtime(sample.created_at - 86_400))
            searches = _searches(sample.destination, "campaign-3", day)
            pages: dict[str, dict[str, float]] = {}
            for name, query in searches.items():
                params = {"account": account_id, **query}
                await _page(client, "/console/messages", params)  # warm: the first of a kind
                timings = [await _page(client, "/console/messages", params) for _ in range(repeat)]
                pages[name] = {
                    "ttfb_ms": round(statistics.median(t[0] for t in timings), 1),
                    "full_ms": round(statistics.median(t[1] for t in timings), 1),
                    "rows": timings[-1][2],
                }
            panel = {"account": account_id}
            await client.get("/console/dashboard/panel", params=panel)
            cpu = time.process_time()
            wall = time.perf_counter()
            for _ in range(refreshes):
                (await client.get("/console/dashboard/panel", params=panel)).raise_for_status()
            dashboard_cpu = (time.process_time() - cpu) * 1000 / refreshes
            dashboard_wall = (time.perf_counter() - wall) * 1000 / refreshes
            # the client's share of the same process: as many requests for a page that does
            # almost nothing
            cpu = time.process_time()
            for _ in range(refreshes):
                (await client.get("/healthz")).raise_for_status()
            baseline = (time.process_time() - cpu) * 1000 / refreshes
        return {
            "search": pages,
            "dashboard": {
                "refreshes": refreshes,
                "cpu_ms_per_refresh": round(dashboard_cpu, 2),
                "cpu_ms_less_a_bare_request": round(dashboard_cpu - baseline, 2),
                "wall_ms_per_refresh": round(dashboard_wall, 2),
            },
        }
    finally:
        await app.stop()


async def _sqlite(count: int, repeat: int, refreshes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-console-") as directory:
        path = Path(directory) / "console.db"
        accounts = await _accounts(str(path))
        fill = await asyncio.to_thread(fill_sqlite, path, count, accounts)
        return {
            "fill_s": round(fill, 1),
            **await measure(str(path), accounts[0], repeat, refreshes),
        }


async def _postgres(url: str, count: int, repeat: int, refreshes: int) -> dict[str, Any] | str:
    schema = f"smsgate_bench_console_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(url, timeout=5)
    except Exception as error:  # any reason: reported, and the SQLite figures still print
        return f"not reachable at {url}: {error!r}"
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in url else "?"
        scoped = f"{url}{separator}search_path={schema}"
        accounts = await _accounts(scoped)
        fill = await fill_postgres(url, schema, count, accounts)
        return {"fill_s": round(fill, 1), **await measure(scoped, accounts[0], repeat, refreshes)}
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


def _table(count: int, results: dict[str, dict[str, Any]]) -> str:
    lines = [f"the console over {count:,} messages (median ms; full = HTML + CSS + JS)"]
    for backend, result in results.items():
        lines.append(f"{backend} (written in {result['fill_s']} s)")
        lines.append(f"  {'search':<16} {'first byte':>11} {'full':>9} {'rows':>6}")
        for name, page in result["search"].items():
            lines.append(
                f"  {name:<16} {page['ttfb_ms']:>11} {page['full_ms']:>9} {page['rows']:>6}"
            )
        board = result["dashboard"]
        lines.append(
            f"  dashboard: {board['cpu_ms_per_refresh']} ms CPU per refresh "
            f"({board['cpu_ms_less_a_bare_request']} ms above a bare request), "
            f"{board['wall_ms_per_refresh']} ms each, over {board['refreshes']} refreshes"
        )
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="smsgate bench console", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--pg", default=DEFAULT_PG, help=f"PostgreSQL URL (default {DEFAULT_PG})")
    parser.add_argument(
        "--messages", type=int, default=1_000_000, help="messages in the store (default 1000000)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="loads of each search (default 5)")
    parser.add_argument(
        "--refreshes", type=int, default=50, help="dashboard refreshes timed (default 50)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(list(argv))
    if not 1 <= args.messages <= MAX_MESSAGES:
        parser.error(f"--messages is 1 to {MAX_MESSAGES}")
    if not (1 <= args.repeat <= 100 and 1 <= args.refreshes <= 10_000):
        parser.error("--repeat is 1 to 100, --refreshes 1 to 10000")

    report: dict[str, Any] = {"messages": args.messages, "results": {}, "skipped": {}}
    if args.backend in ("sqlite", "all"):
        report["results"]["sqlite"] = asyncio.run(
            _sqlite(args.messages, args.repeat, args.refreshes)
        )
    if args.backend in ("postgres", "all"):
        outcome = asyncio.run(_postgres(args.pg, args.messages, args.repeat, args.refreshes))
        if isinstance(outcome, str):
            report["skipped"]["postgres"] = outcome
        else:
            report["results"]["postgres"] = outcome
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_table(args.messages, report["results"]))
        for backend, reason in report["skipped"].items():
            print(f"{backend}: skipped, {reason}")
    return 1 if args.backend == "postgres" and report["skipped"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
