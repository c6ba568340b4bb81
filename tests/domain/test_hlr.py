"""The HLR receipt text, read back by the document's own regular expression and by
parse_receipt_text; the result's status and err; the portability row of a ported number."""

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from smsgate.domain.hlr import (
    HlrResult,
    HlrTextError,
    SubscriberState,
    encode_name,
    parse_receipt_text,
    portability_row,
    receipt_text,
)
from smsgate.domain.routing_tables import PortabilityRow
from smsgate.domain.status import Status
from smsgate.store import open_store

# The document's PHP example, preg_match("/^id:(\d+) stat:(\w+) err:(\d+) imsi:(\d*) msc:(\d*)
# mcc:(\d*) mnc:(\d*) cn:([^ ]*) net:([^ ]*) rcn:([^ ]*) rnet:([^ ]*)/", $dlr, $m), in Python
# (ASCII classes: PCRE's \d and \w without the u flag match ASCII only).
DOCUMENT_PATTERN = re.compile(
    r"^id:(\d+) stat:(\w+) err:(\d+) imsi:(\d*) msc:(\d*) mcc:(\d*) mnc:(\d*) "
    r"cn:([^ ]*) net:([^ ]*) rcn:([^ ]*) rnet:([^ ]*)",
    re.ASCII,
)

FOUND = HlrResult(
    SubscriberState.FOUND,
    imsi="440101234567890",
    msc="819020000123",
    mcc="440",
    mnc="10",
    country="Japan",
    network="NTT DOCOMO",
)
ROAMING = HlrResult(
    SubscriberState.FOUND,
    imsi="440200000000001",
    msc="12065550100",
    mcc="440",
    mnc="20",
    country="Japan",
    network="SoftBank",
    roaming_country="United States",
    roaming_network="T-Mobile",
)
RUSSIAN = HlrResult(
    SubscriberState.FOUND,
    imsi="250023012345678",
    msc="79262000000",
    mcc="250",
    mnc="02",
    country="Россия",
    network="МегаФон",
    roaming_country="日本",
    roaming_network="au (KDDI) ~ 100% & more+",
)
ABSENT = HlrResult(SubscriberState.ABSENT, imsi="440501111111111", mcc="440", mnc="50")
UNKNOWN = HlrResult(SubscriberState.UNKNOWN)


@pytest.mark.parametrize("result", [FOUND, ROAMING, RUSSIAN, ABSENT, UNKNOWN])
def test_the_documents_regular_expression_reads_what_receipt_text_writes(
    result: HlrResult,
) -> None:
    message_id = "855469"
    text = receipt_text(message_id, result.label, result.err, result.report_result())
    match = DOCUMENT_PATTERN.match(text)
    assert match is not None, text
    groups = match.groups()
    assert groups[:3] == (message_id, result.label, result.err)
    assert groups[3:7] == (result.imsi, result.msc, result.mcc, result.mnc)
    names = (result.country, result.network, result.roaming_country, result.roaming_network)
    assert tuple(map(encode_name, names)) == groups[7:]
    assert text.isascii()
    # and the text reads back to the same fields, names decoded
    parsed = parse_receipt_text(text)
    assert parsed["id"] == message_id
    assert parsed["imsi"] == result.imsi
    assert (parsed["cn"], parsed["net"], parsed["rcn"], parsed["rnet"]) == names


def test_names_are_encoded_as_phps_urlencode_does() -> None:
    assert encode_name("NTT DOCOMO") == "NTT+DOCOMO"
    assert encode_name("Россия") == "%D0%A0%D0%BE%D1%81%D1%81%D0%B8%D1%8F"
    assert encode_name("a-b_c.d~e+f&g") == "a-b_c.d%7Ee%2Bf%26g"
    text = receipt_text("1", "DELIVRD", "000", ROAMING.report_result())
    assert text == (
        "id:1 stat:DELIVRD err:000 imsi:440200000000001 msc:12065550100 mcc:440 mnc:20 "
        "cn:Japan net:SoftBank rcn:United+States rnet:T-Mobile"
    )


def test_missing_fields_are_written_empty() -> None:
    assert receipt_text("7", "UNDELIV", "001", None) == (
        "id:7 stat:UNDELIV err:001 imsi: msc: mcc: mnc: cn: net: rcn: rnet:"
    )
    assert receipt_text("7", "UNDELIV", "001", {"mcc": "440", "cn": None}) == (
        "id:7 stat:UNDELIV err:001 imsi: msc: mcc:440 mnc: cn: net: rcn: rnet:"
    )


def test_status_label_and_err_follow_the_subscriber_state() -> None:
    assert (FOUND.status, FOUND.label, FOUND.err) == (Status.DELIVERED, "DELIVRD", "000")
    assert (ABSENT.status, ABSENT.label, ABSENT.err) == (Status.UNDELIVERED, "UNDELIV", "006")
    assert (UNKNOWN.status, UNKNOWN.label, UNKNOWN.err) == (Status.UNDELIVERED, "UNDELIV", "001")
    # the provider's own network error wins, written in three digits
    assert HlrResult(SubscriberState.ABSENT, error="27").err == "027"


def test_a_shorter_text_as_in_the_documents_example_parses() -> None:
    parsed = parse_receipt_text("id:855469 stat:DELIVRD err:000 imsi:250023012345678")
    assert parsed["stat"] == "DELIVRD"
    assert parsed["imsi"] == "250023012345678"
    assert parsed["msc"] == parsed["rnet"] == ""


@pytest.mark.parametrize(
    "text",
    [
        "",
        "stat:DELIVRD id:1 err:000",
        "id:1 err:000",
        "id:1 stat:DELIVRD err:000 imsi:1 imsi:2",
        "id:1 stat:DELIVRD err:000 colour:blue",
        "id:1 stat:DELIVRD err:000 net:x cn:y",
        "id:1 stat:DELIVRD err:000 imsi",
    ],
)
def test_texts_that_are_not_hlr_receipts_are_refused(text: str) -> None:
    with pytest.raises(HlrTextError):
        parse_receipt_text(text)


@pytest.mark.parametrize(
    ("message_id", "stat", "err", "result"),
    [
        ("1 2", "DELIVRD", "000", None),
        ("", "DELIVRD", "000", None),
        ("1", "DELIV RD", "000", None),
        ("1", "DELIVRD", "x", None),
        ("1", "DELIVRD", "000", {"imsi": "44010 123"}),
    ],
)
def test_values_that_would_not_read_back_are_refused(
    message_id: str, stat: str, err: str, result: dict[str, Any] | None
) -> None:
    with pytest.raises(HlrTextError):
        receipt_text(message_id, stat, err, result)


def test_a_result_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="imsi"):
        HlrResult(SubscriberState.FOUND, imsi="44010abc")
    with pytest.raises(ValueError, match="error"):
        HlrResult(SubscriberState.ABSENT, error="1234")
    with pytest.raises(ValueError, match="longer"):
        HlrResult(SubscriberState.FOUND, network="x" * 65)


def test_a_ported_result_gives_the_recipient_networks_carrier() -> None:
    ported = HlrResult(SubscriberState.FOUND, mcc="440", mnc="11", ported=True).report_result()
    assert portability_row("819012345678", ported, 1000.0) == PortabilityRow(
        "819012345678", "rakuten", 1000.0
    )
    kddi = HlrResult(SubscriberState.FOUND, mcc="440", mnc="53", ported=True).report_result()
    assert portability_row("819012345678", kddi, 5.0) == PortabilityRow("819012345678", "au", 5.0)
    # not ported, or a network no carrier id stands for: nothing to feed
    assert portability_row("819012345678", FOUND.report_result(), 1.0) is None
    foreign = HlrResult(SubscriberState.FOUND, mcc="310", mnc="260", ported=True)
    assert portability_row("12065550100", foreign.report_result(), 1.0) is None
    assert portability_row("819012345678", {"ported": True}, 1.0) is None
    with pytest.raises(ValueError, match=r"E\.164"):
        portability_row("+819012345678", ported, 1.0)


def test_the_row_feeds_the_stores_portability_table(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await open_store(str(tmp_path / "gateway.db"))
        try:
            result = HlrResult(SubscriberState.FOUND, mcc="440", mnc="20", ported=True)
            row = portability_row("819087654321", result.report_result(), 1000.0)
            assert row is not None
            assert await store.import_portability([row]) == 1
            assert await store.portability_carrier("819087654321") == "softbank"
        finally:
            await store.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))
