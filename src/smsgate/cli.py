"""The `smsgate` command."""

import argparse
import asyncio
import importlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from smsgate import __version__
from smsgate.access_commands import add_access_commands
from smsgate.app import App, serve
from smsgate.balance_commands import add_balance_commands
from smsgate.callback_commands import add_callback_commands
from smsgate.config import ConfigError, load_config
from smsgate.domain.account import (
    DEFAULT_RATE,
    Account,
    hash_api_key,
    hash_password,
    new_api_key,
)
from smsgate.domain.carriers import PortabilityFileError, load_portability_csv
from smsgate.domain.ids import new_id
from smsgate.event_loop import run_async
from smsgate.inbound_commands import add_account_commands, add_inbound_commands
from smsgate.outbox_commands import add_outbox_commands
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.constants import MessageState
from smsgate.smpp_send import send_and_wait
from smsgate.store import PortabilityRow, StoreError, open_store
from smsgate.text import Concatenation, Encoding, TextError
from smsgate.transport.smpp_connection import SmppRequestError

SIMULATOR_SYSTEM_ID = "demo"
SIMULATOR_PASSWORD = "demo"

BENCHMARKS = {
    "codec": "SMPP submit_sm encode+decode round trips per second, beside smpp.pdu3",
    "fuzz": "feed the PDU decoder random and mutated input; count unexpected exceptions",
    "store": "message inserts and part updates per second through the store, SQLite and PostgreSQL",
    "e2e": "messages per second through REST, store, SMPP and receipts, with CPU per 10k",
    "crash": "kill -9 the gateway mid-stream, restart it, count lost and doubly sent messages",
    "bind": "one upstream bind's throughput against a carrier answering after 50 ms",
    "callbacks": "signed status callbacks delivered per second to a local receiver",
    "smpp": "submit_sm per second through the SMPP server with receipts back, with CPU per 10k",
    "dialects": "Reach create vs native POST /v1/messages in the same run, as a ratio",
}


def _bench(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"smsgate.bench.{args.name}")
    result: int = module.main(args.rest)
    return result


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


SIMULATOR_BANNER = "simulated SMSC listening on {host}:{port} (Ctrl-C stops it)"


def _serve(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"smsgate serve: {exc}", file=sys.stderr)
        return 2
    if args.config is None:
        # the embedded set-up: SQLite under var/, the simulated carrier, a demo account
        config.demo_account = True
        if config.smpp_tls_port is None and "SMSGATE_SMPP_TLS_PORT" not in os.environ:
            config.smpp_tls_port = 2776
        if "SMSGATE_SIMULATOR" not in os.environ:
            config.simulator = True
    try:
        run_async(serve(config, on_ready=_print_ready))
    except (ConfigError, OSError) as exc:
        print(f"smsgate serve: {exc}", file=sys.stderr)
        return 2
    return 0


def _print_ready(app: App) -> None:
    assert app.http is not None
    url = f"http://{app.config.http_host}:{app.http.port}"
    lines = [
        f"smsgate {__version__} ready",
        f"  HTTP API      {url}  (docs {url}/docs, OpenAPI {url}/openapi.json, "
        f"metrics {url}/metrics)",
        f"  store         {app.config.db}",
    ]
    if app.simulator is not None:
        lines.append(f"  carrier       built-in simulator on 127.0.0.1:{app.simulator.config.port}")
    if app.smpp is not None:
        host = app.config.smpp_host
        ports = [f"{host}:{app.smpp.port}"] if app.smpp.port is not None else []
        if app.smpp.tls_port is not None:
            ports.append(f"{host}:{app.smpp.tls_port} (TLS)")
        lines.append(f"  SMPP server   {', '.join(ports)}")
    if app.demo is not None:
        key = app.demo.api_key
        lines += [
            f"  demo account  id {app.demo.account_id}",
            f"                API key {key}",
            f"                SMPP system_id {app.demo.smpp_system_id} "
            f"password {app.demo.smpp_password}",
            "  send a message:",
            f"    curl -s -X POST {url}/v1/messages -H 'Authorization: Bearer {key}' "
            "-H 'Content-Type: application/json' "
            """-d '{"to": "+819012345678", "text": "Hello from smsgate"}'""",
            "  then fetch it (status, parts, history) with the id it returns:",
            f"    curl -s {url}/v1/messages/ID -H 'Authorization: Bearer {key}'",
        ]
    lines.append("  Ctrl-C stops it (in-flight work is drained first)")
    print("\n".join(lines), flush=True)


def _account_create(args: argparse.Namespace) -> int:
    async def create() -> dict[str, object]:
        config = load_config(args.config)
        store = await open_store(config.db)
        try:
            key = args.api_key or new_api_key()
            account = Account(
                id=new_id(),
                name=args.name,
                api_key_hash=hash_api_key(key),
                smpp_system_id=args.smpp_system_id,
                smpp_password_hash=hash_password(args.smpp_password)
                if args.smpp_password
                else None,
                rate_limit=args.rate,
                created_at=time.time(),
            )
            await store.create_account(account)
        finally:
            await store.close()
        return {
            "id": account.id,
            "name": account.name,
            "api_key": key,
            "smpp_system_id": account.smpp_system_id,
            "smpp_password": args.smpp_password,
            "rate_limit": account.rate_limit,
        }

    if bool(args.smpp_system_id) != bool(args.smpp_password):
        print(
            "smsgate account create: give both --smpp-system-id and --smpp-password",
            file=sys.stderr,
        )
        return 2
    try:
        result = asyncio.run(create())
    except (StoreError, ConfigError) as exc:
        print(f"smsgate account create: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def _import_portability(args: argparse.Namespace) -> int:
    """All or nothing: every line is checked before the first row is written."""
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
        rows = load_portability_csv(text, default_country=args.country)
    except OSError as exc:
        print(f"smsgate carriers import-portability: {exc}", file=sys.stderr)
        return 2
    except PortabilityFileError as exc:
        print(f"smsgate carriers import-portability: {args.file}: {exc}", file=sys.stderr)
        return 2

    async def write() -> int:
        store = await open_store(load_config(args.config).db)
        try:
            now = time.time()
            return await store.import_portability(
                PortabilityRow(number, carrier, now) for number, carrier in rows.items()
            )
        finally:
            await store.close()

    count = asyncio.run(write())
    print(f"{count} ported numbers imported; a running gateway uses them after its next start")
    return 0


def _api(args: argparse.Namespace, method: str, path: str, body: object = None) -> int:
    key = args.api_key or os.environ.get("SMSGATE_API_KEY")
    if not key:
        print("give --api-key or set SMSGATE_API_KEY", file=sys.stderr)
        return 2
    try:
        response = httpx.request(
            method,
            args.url.rstrip("/") + path,
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        print(f"smsgate: {args.url}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    return 0 if response.is_success else 1


def _send(args: argparse.Namespace) -> int:
    body = {"to": args.to, "text": args.text}
    if args.sender:
        body["from"] = args.sender
    if args.priority:
        body["priority"] = args.priority
    return _api(args, "POST", "/v1/messages", body)


def _status(args: argparse.Namespace) -> int:
    return _api(args, "GET", f"/v1/messages/{args.message_id}")


def _simulator(args: argparse.Namespace) -> int:
    run_async(_run_simulator(args, SIMULATOR_BANNER))
    return 0


def _smpp_send(args: argparse.Namespace) -> int:
    try:
        result = asyncio.run(
            send_and_wait(
                args.host,
                args.port,
                system_id=args.system_id,
                password=args.password,
                source=args.source,
                destination=args.to,
                text=args.text,
                encoding=Encoding(args.encoding) if args.encoding else None,
                concatenation=Concatenation(args.concatenation),
                receipt_timeout=args.wait,
            )
        )
    except (OSError, TimeoutError, SmppRequestError, TextError) as exc:
        print(f"smsgate smpp-send: {exc or type(exc).__name__}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "encoding": result.encoding,
                "segments": result.segments,
                "message_ids": result.message_ids,
                "receipts": [
                    {"id": r.message_id, "stat": r.stat, "err": r.error} for r in result.receipts
                ],
            },
            indent=2,
        )
    )
    return 0 if len(result.receipts) == len(result.message_ids) else 1


def _simulator_options(parser: argparse.ArgumentParser, system_id: str, password: str) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2775)
    parser.add_argument("--system-id", default=system_id, help="empty: any credentials bind")
    parser.add_argument("--password", default=password)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each resp")
    parser.add_argument("--receipt-delay", type=float, default=0.2, help="seconds to receipt")
    parser.add_argument("--fail-ratio", type=float, default=0.0, help="share of UNDELIV")
    parser.add_argument("--max-tps", type=float, default=None, help="ESME_RTHROTTLED above")
    parser.add_argument(
        "--mo-interval", type=float, default=None, help="seconds between generated MO messages"
    )
    parser.add_argument(
        "--held-receipts",
        type=int,
        default=SimulatorConfig.held_receipts,
        help="receipts held per login while no receiver has room; past it ESME_RMSGQFUL",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate", description="SMS gateway platform")
    parser.add_argument("--version", action="version", version=f"smsgate {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log protocol details")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="run the gateway (without --config: embedded defaults, simulated carrier, demo)",
    )
    serve.add_argument("--config", help="TOML configuration file")
    serve.set_defaults(func=_serve)

    account = commands.add_parser("account", help="manage accounts (in SMSGATE_DB)")
    account_commands = account.add_subparsers(dest="account_command", required=True)
    create = account_commands.add_parser("create", help="create an account")
    create.add_argument("--name", required=True)
    create.add_argument("--api-key", help="default: a new random key")
    create.add_argument("--smpp-system-id")
    create.add_argument("--smpp-password")
    create.add_argument("--rate", type=float, default=DEFAULT_RATE, help="messages per second")
    create.add_argument("--config", help="TOML configuration file")
    create.add_argument("--json", action="store_true", help="one JSON object")
    create.set_defaults(func=_account_create)
    add_account_commands(account_commands)
    add_callback_commands(account_commands)
    add_access_commands(account_commands)
    add_balance_commands(account_commands)
    add_inbound_commands(commands)
    add_outbox_commands(commands)

    carriers = commands.add_parser("carriers", help="carrier data (in SMSGATE_DB)")
    carrier_commands = carriers.add_subparsers(dest="carriers_command", required=True)
    portability = carrier_commands.add_parser(
        "import-portability", help="import a number-portability CSV (header: number,carrier)"
    )
    portability.add_argument("file")
    portability.add_argument("--country", help="for national numbers, e.g. JP")
    portability.add_argument("--config", help="TOML configuration file")
    portability.set_defaults(func=_import_portability)

    for name, func, text in (
        ("send", _send, "send a message through a running gateway's REST API"),
        ("status", _status, "show a message (status, parts, history)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--url", default="http://127.0.0.1:8080")
        sub.add_argument("--api-key", help="default: $SMSGATE_API_KEY")
        if name == "send":
            sub.add_argument("--to", required=True)
            sub.add_argument("--text", required=True)
            sub.add_argument("--from", dest="sender")
            sub.add_argument("--priority", choices=["bulk", "normal", "high", "urgent"])
        else:
            sub.add_argument("message_id")
        sub.set_defaults(func=func)

    simulator = commands.add_parser("simulator", help="run the simulated carrier SMSC")
    _simulator_options(simulator, SIMULATOR_SYSTEM_ID, SIMULATOR_PASSWORD)
    simulator.set_defaults(func=_simulator)

    send = commands.add_parser("smpp-send", help="send one SMS over SMPP, wait for receipts")
    send.add_argument("--host", default="127.0.0.1")
    send.add_argument("--port", type=int, default=2775)
    send.add_argument("--system-id", default=SIMULATOR_SYSTEM_ID)
    send.add_argument("--password", default=SIMULATOR_PASSWORD)
    send.add_argument("--source", default="smsgate", help="+E.164, digits or alphanumeric")
    send.add_argument("--to", required=True, help="destination, +E.164")
    send.add_argument("--text", required=True)
    send.add_argument("--encoding", choices=[e.value for e in Encoding], default=None)
    send.add_argument("--concatenation", choices=[c.value for c in Concatenation], default="udh8")
    send.add_argument("--wait", type=float, default=10.0, help="seconds to wait for receipts")
    send.set_defaults(func=_smpp_send)

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
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
