"""Prices: an amount per segment in a currency, by route, destination country and carrier.

A rule names any of route, country and carrier (an omitted one matches everything); the rule
naming the most of them wins, the earlier one on a tie. A message's price is its rule's amount
times its segments, fixed at acceptance. Amounts are exact decimals; balances count them in
millionths of the currency (`micros`), so a rule may have at most six decimal places.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

MICROS: Final = 1_000_000
_MAX_CACHED: Final = 100_000


class PriceError(ValueError):
    """A price rule or amount that cannot be used."""


def parse_amount(value: object, what: str = "amount") -> Decimal:
    """A non-negative decimal with at most six decimal places, from a string or a number."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PriceError(f"{what} {value!r} is not a decimal number") from None
    if not amount.is_finite() or amount < 0:
        raise PriceError(f"{what} {value!r} must be a non-negative number")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise PriceError(f"{what} {value!r} has more than six decimal places")
    return amount


def to_micros(amount: Decimal) -> int:
    return int(amount * MICROS)


def from_micros(micros: int) -> Decimal:
    """The amount, without trailing zeros (and without an exponent: 10, not 1E+1)."""
    amount = (Decimal(micros) / MICROS).quantize(Decimal("0.000001")).normalize()
    return amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount


@dataclass(frozen=True, slots=True)
class PriceRule:
    per_segment: Decimal
    currency: str  # ISO 4217, upper case
    route_id: str | None = None
    country: str | None = None  # ISO 3166 region code of the destination, upper case
    carrier: str | None = None

    @property
    def specificity(self) -> int:
        return sum(v is not None for v in (self.route_id, self.country, self.carrier))

    def matches(
        self, currency: str, route_id: str, country: str | None, carrier: str | None
    ) -> bool:
        return (
            self.currency == currency
            and self.route_id in (None, route_id)
            and self.country in (None, country)
            and self.carrier in (None, carrier)
        )

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> "PriceRule":
        """From a [[prices]] table: per_segment, currency, and optional route, country and
        carrier."""
        known = {"per_segment", "currency", "route", "country", "carrier"}
        unknown = set(spec) - known
        if unknown:
            raise PriceError(f"unknown price setting {sorted(unknown)[0]!r}")
        if "per_segment" not in spec or "currency" not in spec:
            raise PriceError("a price needs per_segment and currency")
        currency = str(spec["currency"]).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise PriceError(f"currency {spec['currency']!r} is not an ISO 4217 code")
        country = spec.get("country")
        return cls(
            per_segment=parse_amount(spec["per_segment"], "per_segment"),
            currency=currency,
            route_id=None if spec.get("route") is None else str(spec["route"]),
            country=None if country is None else str(country).upper(),
            carrier=None if spec.get("carrier") is None else str(spec["carrier"]),
        )

    def spec(self) -> dict[str, str]:
        """The inverse of from_spec (what the store keeps)."""
        spec = {"per_segment": str(self.per_segment), "currency": self.currency}
        for name, value in (
            ("route", self.route_id),
            ("country", self.country),
            ("carrier", self.carrier),
        ):
            if value is not None:
                spec[name] = value
        return spec


class PriceList:
    """Finds the rule for a message; lookups are cached (a few distinct keys per route)."""

    def __init__(self, rules: Iterable[PriceRule] = ()) -> None:
        indexed = list(enumerate(rules))
        # most specific first, then in the order given
        self.rules = [rule for _, rule in sorted(indexed, key=lambda p: (-p[1].specificity, p[0]))]
        self._cache: dict[tuple[str, str, str | None, str | None], PriceRule | None] = {}

    def __bool__(self) -> bool:
        return bool(self.rules)

    def find(
        self, currency: str, route_id: str, country: str | None, carrier: str | None
    ) -> PriceRule | None:
        key = (currency, route_id, country, carrier)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = next(
            (r for r in self.rules if r.matches(currency, route_id, country, carrier)),
            None,
        )
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()
        self._cache[key] = found
        return found
