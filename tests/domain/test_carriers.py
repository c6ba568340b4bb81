import phonenumbers
import pytest
from phonenumbers import carrier as phonenumbers_carrier

from smsgate.domain import generate_seed
from smsgate.domain.carrier_seed import JP_CARRIER_PREFIXES
from smsgate.domain.carriers import (
    MAX_REPORTED_ERRORS,
    CarrierTable,
    LineError,
    PortabilityFileError,
    carrier_id,
    load_portability_csv,
    parse_portability_csv,
)

JP_CARRIERS = {"docomo", "au", "softbank", "rakuten"}


def test_seed_is_japanese_mobile_prefixes_of_the_four_carriers() -> None:
    assert len(JP_CARRIER_PREFIXES) > 200
    assert {carrier for _, carrier in JP_CARRIER_PREFIXES} == JP_CARRIERS
    for prefix, _ in JP_CARRIER_PREFIXES:
        assert prefix.startswith(("8160", "8170", "8180", "8190")), prefix
    assert tuple(generate_seed.jp_carrier_prefixes()) == JP_CARRIER_PREFIXES


@pytest.mark.parametrize(
    ("e164", "carrier"),
    [
        # 090 numbers are split between carriers, down to 7-digit prefixes
        ("819010123456", "docomo"),  # 819010
        ("819011012345", "au"),  # 819011
        ("819011123456", "docomo"),  # 8190111 inside au's 819011
        ("819013123456", "softbank"),  # 819013
        ("819037123456", "au"),  # 819037, Okinawa Cellular: the au brand
        ("818012345678", "docomo"),  # 81801
        ("817083123456", "rakuten"),  # 817083
        ("816010012345", "softbank"),  # 8160100
    ],
)
def test_seed_lookups(e164: str, carrier: str) -> None:
    assert CarrierTable.seeded().carrier_for(e164) == carrier


def test_seed_agrees_with_phonenumbers_carrier_names() -> None:
    table = CarrierTable.seeded()
    compared = 0
    for prefix, _ in JP_CARRIER_PREFIXES:
        e164 = (prefix + "1234567890")[:12]
        name = phonenumbers_carrier.name_for_number(phonenumbers.parse("+" + e164), "en")
        if name:
            assert table.carrier_for(e164) == generate_seed.JP_CARRIER_IDS[name], e164
            compared += 1
    assert compared > 200


def test_longest_prefix_wins_and_uncovered_numbers_have_no_carrier() -> None:
    table = CarrierTable([("81", "other"), ("8190", "docomo"), ("+819012", "au")])
    assert table.carrier_for("819012345678") == "au"
    assert table.carrier_for("819013345678") == "docomo"
    assert table.carrier_for("818012345678") == "other"
    assert table.carrier_for("447400123456") is None
    assert table.carrier_for("81") == "other"  # a number no longer than a prefix
    assert len(table) == 3


def test_portability_wins_over_prefixes() -> None:
    table = CarrierTable.seeded({"819010123456": "rakuten"})
    assert table.carrier_for("819010123456") == "rakuten"
    assert table.allocated_carrier("819010123456") == "docomo"
    assert table.carrier_for("819010123457") == "docomo"  # its neighbour did not move
    assert table.ported_count == 1
    moved_again = table.with_ported([("819010123456", "softbank")])
    assert moved_again.carrier_for("819010123456") == "softbank"
    assert table.carrier_for("819010123456") == "rakuten"  # tables are immutable
    assert table.carriers == JP_CARRIERS


def test_carrier_ids_are_normalised_and_checked() -> None:
    assert carrier_id(" Docomo ") == "docomo"
    assert CarrierTable([("8190", "SoftBank")]).carrier_for("819012345678") == "softbank"
    for bad in ("", "au mobile", "ドコモ", "-au"):
        with pytest.raises(ValueError, match="not a carrier id"):
            carrier_id(bad)


@pytest.mark.parametrize(
    ("prefixes", "ported", "problem"),
    [
        ([("81a", "au")], {}, "not a number prefix"),
        ([("8" * 16, "au")], {}, "not a number prefix"),
        ([("8190", "au"), ("+8190", "docomo")], {}, "given to both au and docomo"),
        ([("8190", "a u")], {}, "not a carrier id"),
        ([], {"8190x": "au"}, "not a number prefix"),
    ],
)
def test_bad_table_rows_are_refused(
    prefixes: list[tuple[str, str]], ported: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        CarrierTable(prefixes, ported)


def test_portability_csv_tolerates_formatting() -> None:
    text = (
        "\ufeffNumber, Carrier\r\n"
        "# exported 2024-06-01\r\n"
        "\r\n"
        "+81 90-1111-2222, softbank\r\n"
        '"+81 (90) 3333 4444",Docomo\r\n'
        "   \r\n"
        "819055556666,rakuten\r\n"
    )
    assert list(parse_portability_csv(text)) == [
        ("819011112222", "softbank"),
        ("819033334444", "docomo"),
        ("819055556666", "rakuten"),
    ]


def test_portability_csv_reads_lines_and_national_numbers() -> None:
    lines = iter(["number,carrier", "090-1111-2222,au", "08033334444,docomo"])
    rows = load_portability_csv(lines, default_country="JP")
    assert rows == {"819011112222": "au", "818033334444": "docomo"}


def test_every_bad_line_is_reported_with_its_number() -> None:
    text = "\n".join(
        [
            "number,carrier",  # 1
            "+819011112222,au",  # 2 good
            "abc,au",  # 3
            "+819033334444,",  # 4
            "# a comment",  # 5
            "+819055556666,docmo",  # 6 unknown carrier
            "+819077778888,au,extra",  # 7
            "+81 123,au",  # 8 too short
            "+819099990000,soft bank",  # 9 not an id
            ",",  # 10
            "+819000001111,rakuten",  # 11 good
        ]
    )
    rows = []
    with pytest.raises(PortabilityFileError) as caught:
        for row in parse_portability_csv(text, carriers=JP_CARRIERS):
            rows.append(row)
    # good rows still arrive in order; the error comes once the file is read to its end
    assert rows == [("819011112222", "au"), ("819000001111", "rakuten")]
    error = caught.value
    assert [e.line for e in error.errors] == [3, 4, 6, 7, 8, 9, 10]
    messages = dict((e.line, e.message) for e in error.errors)
    assert "other than digits" in messages[3]
    assert "has no carrier" in messages[4]
    assert "unknown carrier 'docmo'" in messages[6]
    assert "expected 2 fields" in messages[7]
    assert "too short" in messages[8]
    assert "not a carrier id" in messages[9]
    assert error.count == 7
    assert "7 bad line(s)" in str(error)
    assert "line 6: unknown carrier 'docmo'" in str(error)


def test_a_missing_header_is_an_error_and_the_line_is_still_checked() -> None:
    with pytest.raises(PortabilityFileError) as caught:
        load_portability_csv("+819011112222,au\n+819033334444,nope nope\n")
    assert caught.value.errors == [
        LineError(1, "expected the header 'number,carrier' first"),
        LineError(2, "'nope nope' is not a carrier id (lower-case letters, digits, '_', '.', '-')"),
    ]
    with pytest.raises(PortabilityFileError, match="line 1: expected the header"):
        load_portability_csv("msisdn,operator\n+819011112222,au\n")


def test_error_reports_are_capped_but_counted() -> None:
    text = "number,carrier\n" + "bad,au\n" * (MAX_REPORTED_ERRORS + 50)
    with pytest.raises(PortabilityFileError) as caught:
        load_portability_csv(text)
    assert len(caught.value.errors) == MAX_REPORTED_ERRORS
    assert caught.value.count == MAX_REPORTED_ERRORS + 50
    assert str(caught.value).endswith("... and 50 more")


def test_load_keeps_the_last_carrier_of_a_number_listed_twice() -> None:
    text = "number,carrier\n+819011112222,au\n+81 90 1111 2222,docomo\n"
    assert load_portability_csv(text) == {"819011112222": "docomo"}


def test_an_empty_file_has_no_rows() -> None:
    assert load_portability_csv("") == {}
    assert load_portability_csv("number,carrier\n") == {}
