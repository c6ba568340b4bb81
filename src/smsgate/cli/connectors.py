"""`smsgate connectors`: the upstream connectors as configured (the database's connectors
table, which a gateway reads at start, and the configuration file's [[connectors]], written to
it at the next start) and, when a gateway is running, how each is doing, read from its /metrics:
binds up, submit_sm in flight (window in use), parts queued, parts submitted and refused since
the gateway started. Passwords are never shown."""

import argparse
import json
import os
from typing import Any, Final

from smsgate.cli.common import CommandError, run_on_store, store_command
from smsgate.cli.metrics_reader import (
    Metrics,
    MetricsUnavailableError,
    default_url,
    fetch,
)
from smsgate.cli.table import table
from smsgate.config import load_config
from smsgate.domain.routing_tables import ConnectorRow
from smsgate.store import Store

MAX_TIMEOUT: Final = 60.0

# live figures: the column, and the metric it comes from (labelled by connector)
_LIVE = (
    ("binds_up", "smsgate_connector_binds_up"),
    ("window_in_use", "smsgate_connector_window_in_use"),
    ("queued", "smsgate_connector_queue_depth"),
    ("submitted", "smsgate_connector_parts_submitted_total"),
    ("failed", "smsgate_connector_parts_failed_total"),
)


def _configured(row: ConnectorRow, source: str) -> dict[str, Any]:
    config = row.config
    address = f"{config['host']}:{config['port']}" if "host" in config else None
    return {
        "id": row.id,
        "kind": row.kind,
        "enabled": row.enabled,
        "address": address,
        "system_id": config.get("system_id"),
        "bind_mode": config.get("bind_mode", "trx") if row.kind == "smpp" else None,
        "binds": config.get("binds", 1) if row.kind == "smpp" else None,
        "window": config.get("window", 100) if row.kind == "smpp" else None,
        "source": source,
    }


def _live(row: dict[str, Any], metrics: Metrics | None) -> dict[str, Any]:
    if metrics is None:
        return {**row, "state": "not running"}
    figures = {column: metrics.by_label(name, "connector").get(row["id"]) for column, name in _LIVE}
    if figures["binds_up"] is None:  # the gateway has no such connector (disabled, or newer)
        return {**row, "state": "not started"}
    state = "up" if figures["binds_up"] else "down"
    return {**row, "state": state, **{k: int(v) for k, v in figures.items() if v is not None}}


def _connectors(args: argparse.Namespace) -> int:
    if not 0 < args.timeout <= MAX_TIMEOUT:
        raise CommandError(f"--timeout is above 0 and at most {MAX_TIMEOUT:g} seconds")
    config = load_config(args.config)

    async def work(store: Store) -> list[ConnectorRow]:
        return await store.list_connectors()

    stored = run_on_store(args, work)
    rows = [_configured(row, "database") for row in stored]
    known = {row.id for row in stored}
    for item in config.connectors:
        data = dict(item)
        connector_id = str(data.pop("id", ""))
        if connector_id and connector_id not in known:
            row = ConnectorRow(connector_id, str(data.pop("kind", "smpp")), data, True)
            rows.append(_configured(row, "configuration file (stored at the next start)"))
    if args.connector:
        rows = [row for row in rows if row["id"] == args.connector]
    url = args.url or default_url(config)
    token = args.token or os.environ.get("SMSGATE_METRICS_TOKEN") or config.metrics_token
    metrics: Metrics | None = None
    try:
        metrics = fetch(url, token, args.timeout)
        gateway: dict[str, Any] = {"url": url, "running": True}
        waiting = metrics.value("smsgate_queue_depth")
        gateway["waiting_for_a_connector"] = None if waiting is None else int(waiting)
    except MetricsUnavailableError as exc:
        gateway = {"url": url, "running": False, "reason": str(exc)}
    rows = [_live(row, metrics) for row in rows]
    if args.json:
        print(json.dumps({"gateway": gateway, "connectors": rows}))
        return 0
    print(table(rows, empty="(no connectors configured)"))
    if gateway["running"]:
        print(
            f"gateway at {url}: running; messages waiting for a connector: "
            f"{gateway['waiting_for_a_connector']}"
        )
    else:
        print(f"gateway: not running or not readable ({gateway['reason']}); configuration only")
    return 0


def add_connector_commands(commands: Any) -> None:
    """`smsgate connectors [--url URL]`"""
    connectors = commands.add_parser(
        "connectors", help="upstream connectors: configuration, and live state from a gateway"
    )
    connectors.add_argument("connector", nargs="?", help="only this connector (its id)")
    connectors.add_argument(
        "--url", help="the running gateway's HTTP address (default: the configured one)"
    )
    connectors.add_argument(
        "--token", help="metrics_token, when /metrics is not open to this address "
        "(default: $SMSGATE_METRICS_TOKEN or the configured one)",
    )  # fmt: skip
    connectors.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for the gateway"
    )
    connectors.add_argument("--json", action="store_true", help="one JSON object")
    connectors.add_argument("--config", help="TOML configuration file")
    connectors.set_defaults(func=store_command("connectors", _connectors))
