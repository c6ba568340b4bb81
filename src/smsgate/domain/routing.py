"""Routes: which connectors carry a message, decided from data the store keeps as JSON.

A route matches on any of destination prefixes, countries, carriers, accounts and senders,
and carries the messages of its channels: SMS (and pings, silent SMS) unless it names others
(`"channels": ["viber"]`: its connectors are Viber connectors).
Every condition a route gives must hold (AND); a condition lists alternatives (OR); a route
without conditions matches every message, which makes it a default route. Routes are tried
in order of position and the first that matches decides. Its connectors are tried in
failover order, or with the first one drawn by weight and the others kept as fallbacks.

The spec of a route, as stored:

    {
      "match": {                      # optional; every key optional, none may be empty
        "prefixes": ["8190", "+8180"],  # E.164 digits the destination starts with
        "countries": ["JP"],            # regions as parse_destination names them
        "carriers": ["docomo"],         # carrier ids, see carriers.py
        "accounts": ["acct-1"],
        "senders": ["MyShop", "8150*"], # exact, or a prefix when it ends with "*"
        "channels": ["viber"]           # the channels it carries; absent: SMS
      },
      "connectors": [                 # required, at least one; a bare string is {"id": ...}
        {"id": "docomo-1", "weight": 3, "price": "3.30", "currency": "JPY"},
        "sim"
      ],
      "mode": "failover"              # or "weighted"; failover when absent
    }

`weight` (an integer >= 0, default 1) only counts in weighted mode; `price` (a decimal string,
per segment) and `currency` (ISO 4217) come together or not at all.
"""

import random as _random
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import accumulate
from typing import Any, Final, NamedTuple

from smsgate.domain.carrier_seed import REGIONS
from smsgate.domain.carriers import carrier_id
from smsgate.domain.channels import CHANNELS, PING, RCS, SMS
from smsgate.domain.errors import GatewayError
from smsgate.domain.numbers import E164_MAX_DIGITS, NON_GEOGRAPHIC

MATCH_KEYS: Final = ("prefixes", "countries", "carriers", "accounts", "senders", "channels")
_SMS: Final = frozenset({SMS})
SPEC_KEYS: Final = ("match", "connectors", "mode")
TARGET_KEYS: Final = ("id", "weight", "price", "currency")
KNOWN_REGIONS: Final = frozenset(REGIONS) | {NON_GEOGRAPHIC}


class RouteSpecError(ValueError):
    """A route's spec does not follow the schema; the message names the route and the field."""


class Mode(StrEnum):
    FAILOVER = "failover"
    WEIGHTED = "weighted"


class Routable(NamedTuple):
    """What routing looks at in a message."""

    account_id: str
    source: str  # as sent: E.164 digits, short code or alphanumeric name
    destination: str  # E.164 digits without "+"
    region: str
    carrier: str | None = None
    channel: str = SMS  # the connectors' channel (a ping goes by SMS connectors)


@dataclass(frozen=True, slots=True)
class Target:
    connector_id: str
    weight: int = 1
    price: Decimal | None = None  # per segment
    currency: str | None = None


class Selection(NamedTuple):
    """A route's decision: the connectors to try, in order.

    With `available` given to `select`, connectors that are down are left out and listed in
    `down`; when all of them are, `connector_ids` is empty and the message should wait for one
    of `down` to come back rather than fail."""

    route_id: str
    connector_ids: tuple[str, ...]
    targets: tuple[Target, ...]  # same order, with the prices
    down: tuple[str, ...] = ()

    @property
    def waiting(self) -> bool:
        return not self.connector_ids


@dataclass(frozen=True, slots=True)
class Match:
    """A route's conditions; None is "any"."""

    prefixes: frozenset[str] | None = None
    countries: frozenset[str] | None = None
    carriers: frozenset[str] | None = None
    accounts: frozenset[str] | None = None
    senders: frozenset[str] | None = None  # exact
    sender_prefixes: tuple[str, ...] | None = None
    channels: frozenset[str] | None = None  # None: SMS

    def matches(self, routable: Routable) -> bool:
        return _matches(_compile(self), routable)


# A Match flattened for the select loop: (accounts, countries, carriers, prefixes,
# prefix lengths, senders, sender prefixes, channels). Tuples unpack faster than attributes
# load.
_Compiled = tuple[
    frozenset[str] | None,
    frozenset[str] | None,
    frozenset[str] | None,
    frozenset[str] | None,
    tuple[int, ...],
    frozenset[str] | None,
    tuple[str, ...],
    frozenset[str],
]


def _compile(match: Match) -> _Compiled:
    lengths = tuple(sorted({len(p) for p in match.prefixes or ()}, reverse=True))
    senders = match.senders
    if senders is None and match.sender_prefixes is not None:
        senders = frozenset()  # the prefixes alone decide
    return (
        match.accounts,
        match.countries,
        match.carriers,
        match.prefixes,
        lengths,
        senders,
        match.sender_prefixes or (),
        match.channels or _SMS,
    )


def _matches(compiled: _Compiled, routable: Routable) -> bool:
    accounts, countries, carriers, prefixes, lengths, senders, sender_prefixes, channels = compiled
    account, source, destination, region, carrier, channel = routable
    if channel not in channels:
        return False
    if accounts is not None and account not in accounts:
        return False
    if countries is not None and region not in countries:
        return False
    if carriers is not None and carrier not in carriers:
        return False
    if prefixes is not None:
        for length in lengths:
            if destination[:length] in prefixes:
                break
        else:
            return False
    return senders is None or source in senders or source.startswith(sender_prefixes)


@dataclass(frozen=True, slots=True)
class Route:
    id: str
    position: int
    match: Match
    targets: tuple[Target, ...]
    mode: Mode = Mode.FAILOVER

    @classmethod
    def from_spec(cls, route_id: str, position: int, spec: Mapping[str, Any]) -> "Route":
        """A route from its stored spec; RouteSpecError when the spec is not valid."""
        if not isinstance(route_id, str) or not route_id:
            raise RouteSpecError(f"route id {route_id!r} is not a non-empty string")
        if not isinstance(position, int) or isinstance(position, bool):
            raise RouteSpecError(f"route {route_id!r}: position {position!r} is not an integer")
        at = _Where(route_id)
        if not isinstance(spec, Mapping):
            raise at.error("", "the spec is not an object")
        at.keys("", spec, SPEC_KEYS)
        match = _parse_match(at, spec.get("match", {}))
        mode = _parse_mode(at, spec.get("mode", Mode.FAILOVER.value))
        targets = _parse_targets(at, spec.get("connectors"))
        if mode is Mode.WEIGHTED and not any(t.weight for t in targets):
            raise at.error("connectors", "weighted mode needs a connector with a weight above 0")
        return cls(route_id, position, match, targets, mode)

    def to_spec(self) -> dict[str, Any]:
        """The normalised spec, as the store should keep it."""
        match: dict[str, list[str]] = {}
        m = self.match
        for key, values in (
            ("prefixes", m.prefixes),
            ("countries", m.countries),
            ("carriers", m.carriers),
            ("accounts", m.accounts),
        ):
            if values is not None:
                match[key] = sorted(values)
        if m.senders is not None or m.sender_prefixes is not None:
            exact = sorted(m.senders or ())
            match["senders"] = exact + [p + "*" for p in sorted(m.sender_prefixes or ())]
        if m.channels is not None:
            match["channels"] = sorted(m.channels)
        connectors: list[dict[str, Any]] = []
        for target in self.targets:
            entry: dict[str, Any] = {"id": target.connector_id, "weight": target.weight}
            if target.price is not None:
                entry["price"] = str(target.price)
                entry["currency"] = target.currency
            connectors.append(entry)
        return {"match": match, "connectors": connectors, "mode": self.mode.value}

    @property
    def connector_ids(self) -> tuple[str, ...]:
        return tuple(t.connector_id for t in self.targets)


class _Where:
    """Names the route and field in spec errors."""

    def __init__(self, route_id: str) -> None:
        self.route_id = route_id

    def error(self, field: str, problem: str) -> RouteSpecError:
        where = f"{field}: " if field else ""
        return RouteSpecError(f"route {self.route_id!r}: {where}{problem}")

    def keys(self, field: str, value: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        unknown = sorted(set(value) - set(allowed), key=str)
        if unknown:
            raise self.error(
                field,
                f"unknown key {unknown[0]!r} (allowed: {', '.join(allowed)})",
            )

    def strings(self, field: str, value: Any) -> list[str]:
        if not isinstance(value, list):
            raise self.error(field, f"expected a list of strings, found {type(value).__name__}")
        if not value:
            raise self.error(field, "is empty: leave the key out to match anything")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.error(f"{field}[{i}]", f"{item!r} is not a non-empty string")
        return [item.strip() for item in value]


def _parse_match(at: _Where, value: Any) -> Match:
    if not isinstance(value, Mapping):
        raise at.error("match", f"expected an object, found {type(value).__name__}")
    at.keys("match", value, MATCH_KEYS)
    found: dict[str, Any] = {}
    if "prefixes" in value:
        prefixes = set()
        for i, item in enumerate(at.strings("match.prefixes", value["prefixes"])):
            digits = item.removeprefix("+")
            if not (digits.isdigit() and digits.isascii() and len(digits) <= E164_MAX_DIGITS):
                raise at.error(f"match.prefixes[{i}]", f"{item!r} is not 1 to 15 digits")
            prefixes.add(digits)
        found["prefixes"] = frozenset(prefixes)
    if "countries" in value:
        countries = set()
        for i, item in enumerate(at.strings("match.countries", value["countries"])):
            region = item.upper()
            if region not in KNOWN_REGIONS:
                raise at.error(f"match.countries[{i}]", f"{item!r} is not a known region code")
            countries.add(region)
        found["countries"] = frozenset(countries)
    if "carriers" in value:
        carriers = set()
        for i, item in enumerate(at.strings("match.carriers", value["carriers"])):
            try:
                carriers.add(carrier_id(item))
            except ValueError as error:
                raise at.error(f"match.carriers[{i}]", str(error)) from None
        found["carriers"] = frozenset(carriers)
    if "accounts" in value:
        found["accounts"] = frozenset(at.strings("match.accounts", value["accounts"]))
    if "channels" in value:
        channels = set()
        for i, item in enumerate(at.strings("match.channels", value["channels"])):
            if item not in CHANNELS or item in (RCS, PING):
                known = ", ".join(sorted(CHANNELS - {RCS, PING}))
                raise at.error(f"match.channels[{i}]", f"{item!r} is not one of {known}")
            channels.add(item)
        found["channels"] = frozenset(channels)
    if "senders" in value:
        exact, prefixes = set(), set()
        for i, item in enumerate(at.strings("match.senders", value["senders"])):
            if item.endswith("*"):
                stem = item[:-1].removeprefix("+")
                if not stem:
                    raise at.error(f"match.senders[{i}]", "'*' alone: leave senders out instead")
                prefixes.add(stem)
            else:
                # numbers are kept without "+", as Message.source has them
                plain = item[1:] if item[:1] == "+" and item[1:].isdigit() else item
                exact.add(plain)
        found["senders"] = frozenset(exact) if exact else None
        found["sender_prefixes"] = tuple(sorted(prefixes)) if prefixes else None
    return Match(**found)


def _parse_mode(at: _Where, value: Any) -> Mode:
    try:
        return Mode(value)
    except ValueError:
        modes = ", ".join(m.value for m in Mode)
        raise at.error("mode", f"{value!r} is not one of {modes}") from None


def _parse_targets(at: _Where, value: Any) -> tuple[Target, ...]:
    if not isinstance(value, list) or not value:
        raise at.error("connectors", "expected a non-empty list of connectors")
    targets = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        field = f"connectors[{i}]"
        target = _parse_target(at, field, item)
        if target.connector_id in seen:
            raise at.error(field, f"connector {target.connector_id!r} is listed twice")
        seen.add(target.connector_id)
        targets.append(target)
    return tuple(targets)


def _parse_target(at: _Where, field: str, item: Any) -> Target:
    if isinstance(item, str):
        item = {"id": item}
    if not isinstance(item, Mapping):
        raise at.error(field, f"expected an object or a connector id, found {type(item).__name__}")
    at.keys(field, item, TARGET_KEYS)
    connector = item.get("id")
    if not isinstance(connector, str) or not connector.strip():
        raise at.error(f"{field}.id", f"{connector!r} is not a non-empty string")
    weight = item.get("weight", 1)
    if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
        raise at.error(f"{field}.weight", f"{weight!r} is not an integer >= 0")
    price, currency = item.get("price"), item.get("currency")
    if (price is None) != (currency is None):
        raise at.error(field, "price and currency go together")
    amount = None
    if price is not None:
        if not isinstance(price, str):
            raise at.error(f"{field}.price", f'{price!r} is not a decimal string like "0.05"')
        try:
            amount = Decimal(price.strip())
        except InvalidOperation:
            raise at.error(f"{field}.price", f"{price!r} is not a decimal number") from None
        if not amount.is_finite() or amount < 0:
            raise at.error(f"{field}.price", f"{price!r} is not a finite amount >= 0")
        if not isinstance(currency, str) or not (
            len(currency) == 3 and currency.isascii() and currency.isalpha()
        ):
            raise at.error(f"{field}.currency", f"{currency!r} is not an ISO 4217 code")
        currency = currency.upper()
    return Target(connector.strip(), weight, amount, currency)


class _Plan:
    """A route ready for select: its conditions flattened and its selections built once."""

    __slots__ = ("connectors", "cumulative", "matcher", "route", "selections", "total")

    def __init__(self, route: Route) -> None:
        self.route = route
        self.matcher = _compile(route.match)
        self.connectors = frozenset(route.connector_ids)
        targets = route.targets
        if route.mode is Mode.WEIGHTED:
            self.cumulative = tuple(accumulate(t.weight for t in targets))
            self.total = self.cumulative[-1]
            # selection i: target i drawn first, the others after it in spec order
            orders = [(t, *targets[:i], *targets[i + 1 :]) for i, t in enumerate(targets)]
        else:
            self.cumulative = ()
            self.total = 0
            orders = [targets]
        self.selections = tuple(
            Selection(route.id, tuple(t.connector_id for t in order), order) for order in orders
        )


class RouteTable:
    """The routes in the order they are tried; immutable, rebuilt when the store's rows change.

    `random` draws the weighted choice (a float in [0, 1)); tests pass a seeded one.
    """

    def __init__(
        self, routes: Iterable[Route], *, random: Callable[[], float] = _random.random
    ) -> None:
        ordered = sorted(routes, key=lambda r: (r.position, r.id))
        ids = [r.id for r in ordered]
        if len(set(ids)) != len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise RouteSpecError(f"route {twice!r} is defined twice")
        self._routes = tuple(ordered)
        self._plans = tuple(_Plan(r) for r in ordered)
        self._loop = tuple((plan.matcher, plan) for plan in self._plans)
        self._random = random

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, int, Mapping[str, Any]]],
        *,
        random: Callable[[], float] = _random.random,
    ) -> "RouteTable":
        """From the store's rows: (id, position, spec)."""
        return cls((Route.from_spec(*row) for row in rows), random=random)

    @property
    def routes(self) -> tuple[Route, ...]:
        return self._routes

    def __len__(self) -> int:
        return len(self._routes)

    def route_for(self, routable: Routable) -> Route:
        """The first matching route; GatewayError("no_route") when none does."""
        return self._plan_for(routable).route

    def select(self, routable: Routable, available: Set[str] | None = None) -> Selection:
        """The connectors to try for a message, in order, from the first matching route.

        With `available` (the connectors that are up), the others are moved to `down`; in
        weighted mode the draw is then among the available ones, so their weights still hold.
        """
        plan = self._plan_for(routable)
        if available is not None and not plan.connectors <= available:
            return self._available(plan, available)
        if plan.total:
            return plan.selections[bisect_right(plan.cumulative, self._random() * plan.total)]
        return plan.selections[0]

    def _plan_for(self, routable: Routable) -> _Plan:
        account, source, destination, region, carrier, channel = routable
        # _matches inlined: this loop runs for every message
        for matcher, plan in self._loop:
            accounts, countries, carriers, prefixes, lengths, senders, sender_prefixes, channels = (
                matcher
            )
            if channel not in channels:
                continue
            if accounts is not None and account not in accounts:
                continue
            if countries is not None and region not in countries:
                continue
            if carriers is not None and carrier not in carriers:
                continue
            if prefixes is not None:
                for length in lengths:
                    if destination[:length] in prefixes:
                        break
                else:
                    continue
            if senders is None or source in senders or source.startswith(sender_prefixes):
                return plan
        raise GatewayError(
            "no_route",
            f"no route for +{destination} ({region}, carrier {carrier or 'unknown'}) "
            f"from {source!r} for account {account!r}",
        )

    def _available(self, plan: _Plan, available: Set[str]) -> Selection:
        targets = plan.route.targets
        up = [t for t in targets if t.connector_id in available]
        down = tuple(t.connector_id for t in targets if t.connector_id not in available)
        total = sum(t.weight for t in up) if plan.total else 0
        if total:
            point = self._random() * total
            for i, target in enumerate(up):
                point -= target.weight
                if point < 0:
                    up.insert(0, up.pop(i))
                    break
        order = tuple(up)
        return Selection(plan.route.id, tuple(t.connector_id for t in order), order, down)
