import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.domain.errors import GatewayError
from smsgate.domain.routing import (
    Match,
    Mode,
    Routable,
    Route,
    RouteSpecError,
    RouteTable,
    Selection,
    Target,
)

JP_DOCOMO = Routable("acct-1", "MyShop", "819012345678", "JP", "docomo")
JP_AU = Routable("acct-1", "MyShop", "819011012345", "JP", "au")
UK = Routable("acct-1", "MyShop", "447400123456", "GB", None)


def table(*specs: dict[str, Any], seed: int | None = None) -> RouteTable:
    rows = [(f"r{i}", i * 10, spec) for i, spec in enumerate(specs)]
    if seed is None:
        return RouteTable.from_rows(rows)
    return RouteTable.from_rows(rows, random=random.Random(seed).random)


def route_of(routes: RouteTable, routable: Routable) -> str:
    return routes.select(routable).route_id


def test_all_conditions_must_hold_and_each_list_is_alternatives() -> None:
    routes = table(
        {"match": {"countries": ["JP"], "carriers": ["docomo", "rakuten"]}, "connectors": ["a"]},
        {"connectors": ["default"]},
    )
    assert route_of(routes, JP_DOCOMO) == "r0"
    assert route_of(routes, JP_DOCOMO._replace(carrier="rakuten")) == "r0"
    assert route_of(routes, JP_AU) == "r1"  # JP, but not a listed carrier
    assert route_of(routes, JP_DOCOMO._replace(region="GB")) == "r1"  # carrier, wrong country
    assert route_of(routes, JP_DOCOMO._replace(carrier=None)) == "r1"  # carrier unknown


@pytest.mark.parametrize(
    ("match", "matching", "not_matching"),
    [
        ({"prefixes": ["8190", "+8180"]}, JP_DOCOMO, UK),
        ({"prefixes": ["8180", "819012"]}, JP_DOCOMO, JP_AU),
        ({"countries": ["gb"]}, UK, JP_DOCOMO),
        ({"carriers": ["AU"]}, JP_AU, JP_DOCOMO),
        ({"accounts": ["acct-2", "acct-1"]}, UK, UK._replace(account_id="acct-3")),
        ({"senders": ["MyShop"]}, UK, UK._replace(source="MyShop2")),
        ({"senders": ["Other", "My*"]}, UK._replace(source="MyShop2"), UK._replace(source="Shop")),
        ({"senders": ["+819011112222"]}, UK._replace(source="819011112222"), UK),
        ({"senders": ["+8190*"]}, UK._replace(source="819011112222"), UK),
    ],
)
def test_each_condition(
    match: dict[str, list[str]], matching: Routable, not_matching: Routable
) -> None:
    routes = table({"match": match, "connectors": ["a"]}, {"connectors": ["default"]})
    assert route_of(routes, matching) == "r0"
    assert route_of(routes, not_matching) == "r1"
    assert routes.routes[0].match.matches(matching)
    assert not routes.routes[0].match.matches(not_matching)


def test_first_matching_route_wins_in_position_order() -> None:
    rows = [
        ("specific", 20, {"match": {"prefixes": ["819012"]}, "connectors": ["b"]}),
        ("broad", 10, {"match": {"countries": ["JP"]}, "connectors": ["a"]}),
        ("z-default", 30, {"connectors": ["c"]}),
        ("a-default", 30, {"connectors": ["d"]}),  # same position: ordered by id
    ]
    routes = RouteTable.from_rows(rows)
    assert [r.id for r in routes.routes] == ["broad", "specific", "a-default", "z-default"]
    assert route_of(routes, JP_DOCOMO) == "broad"  # although "specific" is more specific
    assert routes.select(UK) == Selection("a-default", ("d",), (Target("d"),))
    assert routes.route_for(UK).id == "a-default"


def test_no_matching_route_is_a_no_route_error() -> None:
    routes = table({"match": {"countries": ["JP"]}, "connectors": ["a"]})
    with pytest.raises(GatewayError) as caught:
        routes.select(UK)
    assert caught.value.code == "no_route"
    assert "+447400123456" in caught.value.detail
    assert "GB" in caught.value.detail
    with pytest.raises(GatewayError, match="no_route"):
        RouteTable([]).select(UK)


def test_failover_keeps_the_spec_order_with_prices() -> None:
    routes = table(
        {
            "connectors": [
                {"id": "primary", "price": "3.30", "currency": "jpy"},
                "secondary",
                {"id": "last", "weight": 5, "price": "0.0450", "currency": "USD"},
            ]
        }
    )
    selection = routes.select(UK)
    assert selection.connector_ids == ("primary", "secondary", "last")
    assert selection.targets[0] == Target("primary", 1, Decimal("3.30"), "JPY")
    assert selection.targets[1].price is None
    assert str(selection.targets[2].price) == "0.0450"
    assert selection.down == ()
    assert not selection.waiting
    assert routes.select(UK) is selection  # built once, not per message


def test_weighted_draws_follow_the_weights_and_keep_the_rest_as_fallback() -> None:
    routes = table(
        {
            "mode": "weighted",
            "connectors": [
                {"id": "a", "weight": 3},
                {"id": "b", "weight": 1},
                {"id": "drain", "weight": 0},
            ],
        },
        seed=7,
    )
    draws = 8000
    orders = Counter(routes.select(UK).connector_ids for _ in range(draws))
    assert set(orders) == {("a", "b", "drain"), ("b", "a", "drain")}
    share = orders[("a", "b", "drain")] / draws
    assert 0.73 < share < 0.77  # 3 / 4
    assert routes.routes[0].mode is Mode.WEIGHTED


def test_weighted_draws_are_reproducible_with_a_seeded_random() -> None:
    spec = {"mode": "weighted", "connectors": ["a", "b", "c"]}
    first, again = table(spec, seed=1), table(spec, seed=1)
    draws = [first.select(UK).connector_ids for _ in range(50)]
    assert draws == [again.select(UK).connector_ids for _ in range(50)]
    assert {d[0] for d in draws} == {"a", "b", "c"}
    for order in draws:
        assert sorted(order) == ["a", "b", "c"]  # the others follow as fallbacks


def test_connectors_that_are_down_are_skipped() -> None:
    routes = table({"connectors": ["a", "b", "c"]})
    selection = routes.select(UK, available={"c", "b", "unrelated"})
    assert selection.connector_ids == ("b", "c")
    assert selection.down == ("a",)
    assert [t.connector_id for t in selection.targets] == ["b", "c"]
    assert routes.select(UK, available={"a", "b", "c"}).down == ()


def test_when_every_connector_is_down_the_selection_waits() -> None:
    routes = table({"connectors": ["a", "b"]})
    selection = routes.select(UK, available=frozenset())
    assert selection.waiting
    assert selection.connector_ids == ()
    assert selection.down == ("a", "b")
    assert selection.route_id == "r0"


def test_weighted_draw_among_the_connectors_that_are_up() -> None:
    routes = table(
        {
            "mode": "weighted",
            "connectors": [
                {"id": "a", "weight": 8},
                {"id": "b", "weight": 1},
                {"id": "c", "weight": 1},
            ],
        },
        seed=11,
    )
    firsts = Counter(routes.select(UK, available={"b", "c"}).connector_ids[0] for _ in range(4000))
    assert set(firsts) == {"b", "c"}
    assert 0.46 < firsts["b"] / 4000 < 0.54
    only_zero = table(
        {"mode": "weighted", "connectors": [{"id": "a", "weight": 1}, {"id": "z", "weight": 0}]}
    )
    assert only_zero.select(UK, available={"z"}).connector_ids == ("z",)


def test_specs_are_normalised_and_round_trip() -> None:
    spec = {
        "match": {
            "prefixes": ["+8190", "8180"],
            "countries": ["jp"],
            "carriers": ["Docomo"],
            "accounts": ["acct-1"],
            "senders": ["MyShop", "+819011112222", "Promo*"],
        },
        "connectors": [{"id": "a", "weight": 2, "price": "1.5", "currency": "jpy"}, "b"],
        "mode": "weighted",
    }
    route = Route.from_spec("jp", 5, spec)
    assert route.match == Match(
        prefixes=frozenset({"8190", "8180"}),
        countries=frozenset({"JP"}),
        carriers=frozenset({"docomo"}),
        accounts=frozenset({"acct-1"}),
        senders=frozenset({"MyShop", "819011112222"}),
        sender_prefixes=("Promo",),
    )
    assert route.connector_ids == ("a", "b")
    stored = route.to_spec()
    assert stored == {
        "match": {
            "prefixes": ["8180", "8190"],
            "countries": ["JP"],
            "carriers": ["docomo"],
            "accounts": ["acct-1"],
            "senders": ["819011112222", "MyShop", "Promo*"],
        },
        "connectors": [
            {"id": "a", "weight": 2, "price": "1.5", "currency": "JPY"},
            {"id": "b", "weight": 1},
        ],
        "mode": "weighted",
    }
    assert Route.from_spec("jp", 5, stored) == route
    default = Route.from_spec("default", 0, {"connectors": ["sim"]})
    assert default.match == Match()
    assert default.mode is Mode.FAILOVER


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"connectors": ["a"], "priority": 1}, "unknown key 'priority'"),
        ({"match": {"country": ["JP"]}, "connectors": ["a"]}, "match: unknown key 'country'"),
        ({"match": ["JP"], "connectors": ["a"]}, "match: expected an object, found list"),
        ({"match": {"prefixes": "8190"}, "connectors": ["a"]}, "match.prefixes: expected a list"),
        ({"match": {"prefixes": []}, "connectors": ["a"]}, "match.prefixes: is empty"),
        ({"match": {"prefixes": ["81a"]}, "connectors": ["a"]}, "match.prefixes[0]: '81a'"),
        ({"match": {"prefixes": [8190]}, "connectors": ["a"]}, "match.prefixes[0]: 8190 is"),
        ({"match": {"countries": ["JP", "XX"]}, "connectors": ["a"]}, "match.countries[1]"),
        ({"match": {"carriers": ["a u"]}, "connectors": ["a"]}, "match.carriers[0]"),
        ({"match": {"senders": ["*"]}, "connectors": ["a"]}, "match.senders[0]: '*' alone"),
        ({"match": {"accounts": [""]}, "connectors": ["a"]}, "match.accounts[0]"),
        ({}, "connectors: expected a non-empty list"),
        ({"connectors": []}, "connectors: expected a non-empty list"),
        ({"connectors": "a"}, "connectors: expected a non-empty list"),
        ({"connectors": [7]}, "connectors[0]: expected an object or a connector id"),
        ({"connectors": [{"weight": 1}]}, "connectors[0].id: None"),
        ({"connectors": [{"id": "a", "host": "x"}]}, "connectors[0]: unknown key 'host'"),
        ({"connectors": ["a", {"id": "a"}]}, "connectors[1]: connector 'a' is listed twice"),
        ({"connectors": [{"id": "a", "weight": -1}]}, "connectors[0].weight: -1"),
        ({"connectors": [{"id": "a", "weight": 1.5}]}, "connectors[0].weight: 1.5"),
        ({"connectors": [{"id": "a", "weight": True}]}, "connectors[0].weight: True"),
        ({"connectors": [{"id": "a", "price": 0.05, "currency": "USD"}]}, "decimal string"),
        ({"connectors": [{"id": "a", "price": "abc", "currency": "USD"}]}, "not a decimal"),
        ({"connectors": [{"id": "a", "price": "-1", "currency": "USD"}]}, "finite amount >= 0"),
        ({"connectors": [{"id": "a", "price": "NaN", "currency": "USD"}]}, "finite amount"),
        ({"connectors": [{"id": "a", "price": "1"}]}, "price and currency go together"),
        ({"connectors": [{"id": "a", "currency": "USD"}]}, "price and currency go together"),
        ({"connectors": [{"id": "a", "price": "1", "currency": "YEN1"}]}, "ISO 4217"),
        ({"connectors": ["a"], "mode": "random"}, "mode: 'random' is not one of"),
        (
            {"connectors": [{"id": "a", "weight": 0}], "mode": "weighted"},
            "weighted mode needs a connector with a weight above 0",
        ),
        ([("connectors", ["a"])], "the spec is not an object"),
    ],
)
def test_bad_specs_name_the_route_and_field(spec: Any, problem: str) -> None:
    with pytest.raises(RouteSpecError) as caught:
        RouteTable.from_rows([("jp-route", 1, spec)])
    assert "route 'jp-route'" in str(caught.value)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([("", 1, {"connectors": ["a"]})], "route id '' is not a non-empty string"),
        ([("r", True, {"connectors": ["a"]})], "position True is not an integer"),
        ([("r", "1", {"connectors": ["a"]})], "position '1' is not an integer"),
        ([("r", 1, {"connectors": ["a"]}), ("r", 2, {"connectors": ["b"]})], "defined twice"),
    ],
)
def test_bad_rows(rows: list[tuple[Any, Any, Any]], problem: str) -> None:
    with pytest.raises(RouteSpecError, match=problem):
        RouteTable.from_rows(rows)


# An independent reading of the matching rules, to check the inlined select loop against.
def reference_route(specs: list[dict[str, Any]], r: Routable) -> str | None:
    for i, spec in enumerate(specs):
        m = spec.get("match", {})
        checks = [
            r.channel in (m.get("channels") or ["sms"]),
            not m.get("prefixes") or any(r.destination.startswith(p) for p in m["prefixes"]),
            not m.get("countries") or r.region in m["countries"],
            not m.get("carriers") or r.carrier in m["carriers"],
            not m.get("accounts") or r.account_id in m["accounts"],
            not m.get("senders")
            or any(
                r.source.startswith(s[:-1]) if s.endswith("*") else r.source == s
                for s in m["senders"]
            ),
        ]
        if all(checks):
            return f"r{i}"
    return None


matches = st.fixed_dictionaries(
    {},
    optional={
        "prefixes": st.lists(st.sampled_from(["81", "8190", "819012", "44", "4474"]), min_size=1),
        "countries": st.lists(st.sampled_from(["JP", "GB", "US"]), min_size=1),
        "carriers": st.lists(st.sampled_from(["docomo", "au", "softbank"]), min_size=1),
        "accounts": st.lists(st.sampled_from(["acct-1", "acct-2"]), min_size=1),
        "senders": st.lists(st.sampled_from(["MyShop", "My*", "Shop", "8190*"]), min_size=1),
        "channels": st.lists(st.sampled_from(["sms", "viber", "voice"]), min_size=1),
    },
)
routables = st.builds(
    Routable,
    st.sampled_from(["acct-1", "acct-2", "acct-3"]),
    st.sampled_from(["MyShop", "MyOther", "Shop", "819011112222"]),
    st.sampled_from(["819012345678", "819099999999", "447400123456", "12025550123"]),
    st.sampled_from(["JP", "GB", "US"]),
    st.sampled_from(["docomo", "au", "softbank", None]),
    st.sampled_from(["sms", "sms", "viber"]),
)


@settings(max_examples=60)  # each example builds a table: keep the suite quick
@given(st.lists(matches, min_size=1, max_size=6), st.lists(routables, min_size=1, max_size=20))
def test_select_agrees_with_a_plain_reading_of_the_rules(
    match_list: list[dict[str, list[str]]], messages: list[Routable]
) -> None:
    specs = [{"match": m, "connectors": ["c"]} for m in match_list]
    routes = table(*specs)
    for message in messages:
        expected = reference_route(specs, message)
        if expected is None:
            with pytest.raises(GatewayError, match="no_route"):
                routes.select(message)
        else:
            assert routes.select(message).route_id == expected
