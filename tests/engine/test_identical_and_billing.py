"""The identical-request window, prices and prepaid balances as units (no store, no sockets)."""

from dataclasses import replace
from decimal import Decimal

import pytest

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.pricing import PriceError, PriceList, PriceRule, from_micros, parse_amount
from smsgate.domain.status import Status
from smsgate.engine.balances import Balances
from smsgate.engine.billing import Billing
from smsgate.engine.identical import IdenticalWindow
from tests.store.factories import new_message


def test_the_window_refuses_within_and_forgets_after() -> None:
    window = IdenticalWindow()
    key = IdenticalWindow.key("a", "smsgate", "819012345678", "Hello")
    assert window.admit(key, 100.0, 60) is None
    assert window.admit(key, 159.9, 60) == 100.0  # refused, and not recorded again
    assert window.seen(key, 159.9, 60) == 100.0
    assert window.seen(key, 160.0, 60) is None
    # another account, source, number or text is another request
    for other in (
        ("b", "smsgate", "819012345678", "Hello"),
        ("a", "other", "819012345678", "Hello"),
        ("a", "smsgate", "819012345679", "Hello"),
        ("a", "smsgate", "819012345678", "Hello!"),
    ):
        assert window.seen(IdenticalWindow.key(*other), 101.0, 60) is None
    window.forget(key, 100.0)
    assert window.seen(key, 101.0, 60) is None


def test_the_window_memory_is_bounded() -> None:
    window = IdenticalWindow(capacity=100)
    for i in range(10_000):
        window.admit(IdenticalWindow.key("a", "s", str(i), "t"), 1.0 + i * 0.001, 60)
    assert len(window) <= 200
    # old generations go as time passes, however few requests come
    window.admit(1, 1000.0, 60)
    window.admit(2, 1100.0, 60)
    assert len(window) == 2


def test_amounts_are_exact_and_bounded() -> None:
    assert parse_amount("0.0075") == Decimal("0.0075")
    assert parse_amount(3) == Decimal(3)
    for bad in ("-1", "abc", "0.0000001", "NaN"):
        with pytest.raises(PriceError):
            parse_amount(bad)
    assert from_micros(7_500) == Decimal("0.0075")


def test_the_most_specific_rule_wins() -> None:
    rules = PriceList(
        [
            PriceRule(Decimal("0.01"), "EUR"),
            PriceRule(Decimal("0.02"), "EUR", country="JP"),
            PriceRule(Decimal("0.03"), "EUR", country="JP", carrier="docomo"),
            PriceRule(Decimal("0.04"), "EUR", route_id="premium", country="JP", carrier="docomo"),
            PriceRule(Decimal("5"), "JPY", country="JP"),
        ]
    )

    def per(currency: str, route: str, country: str, carrier: str | None) -> Decimal | None:
        rule = rules.find(currency, route, country, carrier)
        return None if rule is None else rule.per_segment

    assert per("EUR", "default", "DE", None) == Decimal("0.01")
    assert per("EUR", "default", "JP", "kddi") == Decimal("0.02")
    assert per("EUR", "default", "JP", "docomo") == Decimal("0.03")
    assert per("EUR", "premium", "JP", "docomo") == Decimal("0.04")
    assert per("JPY", "premium", "JP", "docomo") == Decimal(5)
    assert rules.find("USD", "default", "JP", None) is None
    with pytest.raises(PriceError, match="unknown price setting"):
        PriceRule.from_spec({"per_segment": "1", "currency": "EUR", "prefix": "81"})
    spec = {"per_segment": "0.05", "currency": "eur", "country": "jp", "route": "r1"}
    rule = PriceRule.from_spec(spec)
    assert rule == PriceRule(Decimal("0.05"), "EUR", route_id="r1", country="JP")
    assert PriceRule.from_spec(rule.spec()) == rule


def _message(price: str | None) -> Message:
    return replace(new_message("a"), status=Status.QUEUED, price=price, price_unit="EUR")


def test_reserve_release_and_max_price() -> None:
    billing = Billing("EUR")
    billing.prices = PriceList([PriceRule(Decimal("0.05"), "EUR", country="JP")])
    account = Account(id="a", name="a")
    assert billing.quote(account, "r", "JP", None, 3) == ("0.15", "EUR")
    assert billing.quote(Account(id="b", name="b", currency="USD"), "r", "JP", None, 1) is None
    # postpaid: nothing reserved, never refused
    assert billing.reserve(account, _message("0.15"), None) == 0
    billing.balances.load({"a": 200_000}, 0.0)
    assert billing.reserve(account, _message("0.15"), None) == 150_000
    with pytest.raises(GatewayError) as refused:
        billing.reserve(account, _message("0.15"), None)
    assert refused.value.code == "insufficient_balance"
    with pytest.raises(GatewayError) as unpriced:
        billing.reserve(account, _message(None), None)
    assert unpriced.value.code == "no_price"
    # above max_price: failed, nothing reserved
    expensive = _message("0.15")
    assert billing.reserve(account, expensive, Decimal("0.10")) == 0
    assert expensive.status is Status.FAILED and expensive.error_code == "price_exceeded"
    assert billing.release(expensive, Status.FAILED, 2.0) is None
    # a message that fails before the carrier gives its price back; one that reached it not
    unsent = _message("0.15")
    refund = billing.release(unsent, Status.EXPIRED, 3.0)
    assert refund is not None and refund.delta == 150_000
    assert billing.balances.available("a") == 200_000
    sent = _message("0.15")
    sent.parts[0].upstream_id = "abc"
    assert billing.release(sent, Status.FAILED, 3.0) is None
    assert billing.release(_message("0.15"), Status.DELIVERED, 3.0) is None


def test_a_reload_keeps_what_is_not_yet_committed() -> None:
    balances = Balances()
    balances.load({"a": 1000}, 0.0)
    assert balances.take("a", 300)
    balances.load({"a": 1000}, 1.0)  # the debit is not committed yet
    assert balances.available("a") == 700
    balances.settled("a", -300, committed=True)
    balances.load({"a": 700}, 2.0)
    assert balances.available("a") == 700
    assert balances.take("a", 200)
    balances.settled("a", -200, committed=False)  # the write failed: the money is back
    assert balances.available("a") == 700
    assert not balances.take("a", 701)
    assert balances.take("b", 10**9)  # postpaid
