"""`smsgate routes`: the route table (which connectors carry what), and where one number goes
(`--to`); `smsgate routes prefixes` and `smsgate routes ported`: the carrier prefix table and
the number-portability table that decide a number's carrier. All from the database (--db,
SMSGATE_DB or --config), which a gateway reads at start; the configuration file's [[routes]]
replace the stored ones at the next start."""

import argparse
import json
from typing import Any

from smsgate.cli.carriers import add_route_import
from smsgate.cli.common import CommandError, find_account, run_on_store, store_command
from smsgate.cli.table import show
from smsgate.config import load_config
from smsgate.domain.carriers import CarrierTable, carrier_id
from smsgate.domain.errors import GatewayError
from smsgate.domain.numbers import parse_destination
from smsgate.domain.routing import Routable, Route, RouteSpecError, RouteTable
from smsgate.store import Store


def _targets(route: Route) -> str:
    shown = []
    for target in route.targets:
        text = target.connector_id
        if route.mode.value == "weighted":
            text += f"*{target.weight}"
        if target.price is not None:
            text += f" ({target.price} {target.currency})"
        shown.append(text)
    return ", ".join(shown)


def _conditions(route: Route) -> str:
    match = route.to_spec()["match"]
    return "; ".join(f"{key} {' '.join(values)}" for key, values in match.items()) or "any"


def _route_row(route: Route) -> dict[str, Any]:
    return {
        "position": route.position,
        "id": route.id,
        "match": _conditions(route),
        "mode": route.mode.value,
        "connectors": _targets(route),
    }


async def _table(store: Store) -> RouteTable:
    try:
        return RouteTable.from_rows((r.id, r.position, r.spec) for r in await store.list_routes())
    except RouteSpecError as exc:
        raise CommandError(f"the stored route table is not valid: {exc}") from None


def _routes(args: argparse.Namespace) -> int:
    if args.to is None and (args.account or args.sender):
        raise CommandError("--account and --from go with --to")

    async def work(store: Store) -> dict[str, Any]:
        routes = await _table(store)
        listed = [
            route
            for route in routes.routes
            if args.connector is None or args.connector in route.connector_ids
        ]
        found: dict[str, Any] = {"routes": [_route_row(route) for route in listed]}
        if args.to is not None:
            found["destination"] = await _destination(store, routes, args)
        return found

    found = run_on_store(args, work)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    show(found["routes"], False, empty="(no routes: every message is refused no_route)")
    if "destination" in found:
        print()
        for key, value in found["destination"].items():
            print(f"{key}: {'-' if value is None else value}")
    return 0


async def _destination(
    store: Store, routes: RouteTable, args: argparse.Namespace
) -> dict[str, Any]:
    """Where routing sends a message to `--to`: its carrier (the portability table over the
    prefix table) and the first route that matches."""
    default_country = load_config(args.config).engine.default_country
    try:
        parsed = parse_destination(args.to, default_country=default_country)
    except GatewayError as exc:
        raise CommandError(f"--to {args.to}: {exc.detail or exc}") from None
    ported = await store.portability_carrier(parsed.e164)
    prefixes = [(row.prefix, row.carrier) for row in await store.list_carrier_prefixes()]
    carrier = CarrierTable(prefixes, [(parsed.e164, ported)] if ported else ()).carrier_for(
        parsed.e164
    )
    account_id = (await find_account(store, args.account)).id if args.account else ""
    routable = Routable(account_id, args.sender or "", parsed.e164, parsed.region, carrier)
    found: dict[str, Any] = {
        "number": parsed.plus,
        "country": parsed.region,
        "carrier": carrier,
        "carrier_from": "portability" if ported else ("prefix" if carrier else None),
    }
    try:
        route = routes.route_for(routable)
    except GatewayError:
        return {**found, "route": None, "connectors": "none: refused no_route"}
    return {**found, "route": route.id, "mode": route.mode.value, "connectors": _targets(route)}


def _prefixes(args: argparse.Namespace) -> int:
    carrier = _carrier(args.carrier)

    async def work(store: Store) -> list[dict[str, Any]]:
        return [
            {"prefix": row.prefix, "carrier": row.carrier, "source": row.source}
            for row in await store.list_carrier_prefixes()
            if (carrier is None or row.carrier == carrier)
            and (row.prefix.startswith(args.prefix) or args.prefix.startswith(row.prefix))
        ]

    show(run_on_store(args, work), args.json, empty="(no prefixes match)")
    return 0


def _ported(args: argparse.Namespace) -> int:
    carrier = _carrier(args.carrier)

    async def work(store: Store) -> tuple[list[tuple[str, str]], int]:
        return await store.find_portability(prefix=args.prefix, carrier=carrier, limit=args.limit)

    rows, total = run_on_store(args, work)
    listed = [{"number": "+" + number, "carrier": found} for number, found in rows]
    if args.json:
        print(json.dumps({"ported": listed, "total": total}))
        return 0
    show(listed, False, empty="(no ported numbers match)")
    print(f"{len(listed)} of {total} ported numbers")
    return 0


def _carrier(value: str | None) -> str | None:
    try:
        return None if value is None else carrier_id(value)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _digits(value: str) -> str:
    digits = value.strip().removeprefix("+")
    if digits and not (digits.isascii() and digits.isdigit() and len(digits) <= 15):
        raise argparse.ArgumentTypeError(f"not a number prefix (up to 15 digits): {value!r}")
    return digits


def add_route_commands(commands: Any) -> None:
    """`smsgate routes [--to N]`, `smsgate routes prefixes|ported`"""
    routes = commands.add_parser(
        "routes", help="the route table, where a number goes; carrier prefixes, ported numbers"
    )
    routes.add_argument("--connector", help="only routes through this connector")
    routes.add_argument("--to", help="show where a message to this number goes")
    routes.add_argument("--account", help="with --to: sent by this account (id or name)")
    routes.add_argument("--from", dest="sender", help="with --to: from this sender")
    routes.set_defaults(func=store_command("routes", _routes))
    tables = routes.add_subparsers(dest="routes_command")
    prefixes = tables.add_parser("prefixes", help="the carrier prefix table")
    prefixes.set_defaults(func=store_command("routes prefixes", _prefixes))
    ported = tables.add_parser("ported", help="ported numbers (number portability table)")
    ported.add_argument("--limit", type=int, default=50, help="at most this many (1-1000)")
    ported.set_defaults(func=store_command("routes ported", _ported))
    add_route_import(tables)
    for sub in (prefixes, ported):
        sub.add_argument("--carrier", help="only this carrier's")
        sub.add_argument(
            "--prefix", type=_digits, default="", help="only numbers under this prefix"
        )
    for sub in (routes, prefixes, ported):
        sub.add_argument("--json", action="store_true", help="JSON")
        sub.add_argument("--config", help="TOML configuration file")
