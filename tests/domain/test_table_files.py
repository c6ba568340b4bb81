"""The route and carrier prefix files an operator imports: good files become the store's rows,
a file with bad lines lists every one of them and gives nothing."""

import pytest

from smsgate.domain.routing import RouteTable
from smsgate.domain.table_files import (
    MAX_REPORTED_ERRORS,
    TableFileError,
    load_prefixes_csv,
    load_routes_csv,
)


def test_a_route_file_becomes_specs_the_engine_reads_in_file_order() -> None:
    rows = load_routes_csv(
        "\ufeffid,prefixes,carriers,senders,connectors,mode\n"
        "# weighted between two carriers' binds, one priced\n"
        "jp,8190 +8180,docomo,Shop*,a*3 b*1@3.30/jpy,weighted\n"
        "\n"
        "rest,,,,fallback,\n"
    )
    assert [(r.id, r.position) for r in rows] == [("jp", 0), ("rest", 1)]
    table = RouteTable.from_rows((r.id, r.position, r.spec) for r in rows)
    jp = table.routes[0].to_spec()
    assert jp["match"] == {
        "prefixes": ["8180", "8190"],
        "carriers": ["docomo"],
        "senders": ["Shop*"],
    }
    assert jp["connectors"] == [
        {"id": "a", "weight": 3},
        {"id": "b", "weight": 1, "price": "3.30", "currency": "JPY"},
    ]
    assert jp["mode"] == "weighted" and table.routes[1].connector_ids == ("fallback",)


def test_every_bad_route_line_is_listed_with_its_number() -> None:
    with pytest.raises(TableFileError) as caught:
        load_routes_csv(
            "id,countries,connectors,mode\n"
            "a,JP,x,\n"
            ",JP,x,\n"  # no id
            "b,Atlantis,x,\n"  # no such region
            "c,,x*heavy,\n"  # not a weight
            "d,,x@5,\n"  # a price without its currency
            "a,,y,\n"  # twice
            "e,,x,\n"
            "f,,x,sideways\n"
            "g,,x\n"  # a field short
        )
    lines = [error.line for error in caught.value.errors]
    assert lines == [3, 4, 5, 6, 7, 9, 10]
    assert "route 'a' is also on line 2" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("id,via\nr,x\n", "the header names columns of id,prefixes"),
        ("prefixes,mode\n8190,\n", "the header names columns"),
        ("id,connectors\n", "no route: every message would be refused"),
    ],
)
def test_a_route_file_without_a_header_or_routes_is_refused(text: str, expected: str) -> None:
    with pytest.raises(TableFileError, match=expected):
        load_routes_csv(text)


def test_prefix_files_are_checked_whole_and_a_prefix_has_one_carrier() -> None:
    assert load_prefixes_csv("prefix,carrier\n+8190123,DoCoMo\n8170,au\n8190123,docomo\n") == [
        ("8190123", "docomo"),
        ("8170", "au"),
    ]
    with pytest.raises(TableFileError) as caught:
        load_prefixes_csv("carrier,prefix\nau,81x\nau,\nbad carrier!,8170\nau,8170\nrakuten,8170\n")
    assert [e.line for e in caught.value.errors] == [2, 3, 4, 6]
    with pytest.raises(TableFileError, match="prefix 8170 is au on line 2"):
        load_prefixes_csv("prefix,carrier\n8170,au\n8170,rakuten\n")


def test_a_file_of_many_bad_lines_reports_the_first_ones_and_counts_the_rest() -> None:
    text = "prefix,carrier\n" + "x,au\n" * (MAX_REPORTED_ERRORS + 5)
    with pytest.raises(TableFileError) as caught:
        load_prefixes_csv(text)
    assert len(caught.value.errors) == MAX_REPORTED_ERRORS and caught.value.count == 105
    assert "... and 5 more" in str(caught.value)
