"""SMSC.ru parameters without a gateway: charsets, phone lists, send times, lifetimes, translit
and maxsms, the refused-requests guard, the answers' shapes, and the status codes of messages."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from smsgate.api.http.address_guard import AddressGuard
from smsgate.api.http.dialects.smsc_ru import STATUS_NAMES, status_fields
from smsgate.api.http.dialects.smsc_ru_answer import (
    error_answer,
    money,
    price_text,
    send_answer,
    status_answer,
)
from smsgate.api.http.dialects.smsc_ru_params import (
    decode_params,
    lifetime,
    message_id,
    message_text,
    peek,
    phone_list,
    raw_pairs,
    send_time,
)
from smsgate.domain.errors import GatewayError
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from smsgate.text import count_segments
from smsgate.text.translit import Translit, transliterate
from tests.store.factories import new_message

MOSCOW = timezone(timedelta(hours=3))
NOW = datetime(2026, 11, 23, 10, 30, tzinfo=MOSCOW).timestamp()  # 10:30 in Moscow


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (b"mes=%CF%F0%E8%E2%E5%F2", "Привет"),  # windows-1251, the default
        (b"mes=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82&charset=utf-8", "Привет"),
        (b"charset=koi8-r&mes=%F0%D2%C9%D7%C5%D4", "Привет"),
        (b"mes=a+b%2Bc", "a b+c"),
    ],
)
def test_parameters_are_decoded_in_their_charset(query: bytes, text: str) -> None:
    params, _ = decode_params(raw_pairs(query))
    assert params["mes"] == text


def test_a_wrong_charset_or_a_value_outside_it_is_a_parameters_error() -> None:
    with pytest.raises(GatewayError) as unknown:
        decode_params(raw_pairs(b"charset=latin-9&mes=x"))
    assert unknown.value.code == "invalid_request"
    with pytest.raises(GatewayError):
        decode_params(raw_pairs(b"charset=utf-8&mes=%FF"))
    assert peek(raw_pairs(b"fmt=3&fmt=2&charset=UTF-8"), "fmt") == "2"
    assert peek(raw_pairs(b"charset=UTF-8"), "charset") == "utf-8"


def test_phone_lists() -> None:
    assert phone_list("79991234567, +7 (999) 123-45-68;89991234569\n380501234567") == [
        "+79991234567",
        "+79991234568",
        "+79991234569",
        "+380501234567",
    ]
    assert phone_list(" ,; ") == []


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        (None, None, None),
        ("", None, None),
        ("2411261200", None, datetime(2026, 11, 24, 12, 0, tzinfo=MOSCOW).timestamp()),
        ("24.11.26 12:00", None, datetime(2026, 11, 24, 12, 0, tzinfo=MOSCOW).timestamp()),
        ("2411261200", "-3", datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp()),
        ("2411261200", "+2", datetime(2026, 11, 24, 7, 0, tzinfo=UTC).timestamp()),
        ("01800000000", None, 1_800_000_000.0),
        ("0", None, None),
        ("+15", None, NOW + 900),
        ("9-18", None, None),  # 10:30 is inside the window: now
        ("12-18", None, datetime(2026, 11, 23, 12, 0, tzinfo=MOSCOW).timestamp()),
        ("8-10", None, datetime(2026, 11, 24, 8, 0, tzinfo=MOSCOW).timestamp()),
        ("8-10", "2", None),  # 12:30 there: tomorrow 8:00 there
    ],
)
def test_send_time_formats(value: str | None, tz: str | None, expected: float | None) -> None:
    if value == "8-10" and tz == "2":
        expected = datetime(2026, 11, 24, 8, 0, tzinfo=timezone(timedelta(hours=5))).timestamp()
    assert send_time(value, tz, NOW) == expected


@pytest.mark.parametrize(
    ("value", "tz"),
    [
        ("3211261200", None),  # 32 November
        ("24112612", None),
        ("tomorrow", None),
        ("18-9", None),
        ("9-25", None),
        ("2411261200", "x"),
        ("2411261200", "13"),
        ("+x", None),
    ],
)
def test_wrong_send_times_are_date_format_errors(value: str, tz: str | None) -> None:
    with pytest.raises(GatewayError) as refused:
        send_time(value, tz, NOW)
    assert refused.value.code == "invalid_schedule"


def test_lifetime_in_hours_or_hh_mm_cut_to_the_gateways_longest() -> None:
    assert lifetime(None, 14_400) is None
    assert lifetime("1", 14_400) == 3600
    assert lifetime("00:30", 14_400) == 1800
    assert lifetime("24", 14_400) == 14_400
    assert lifetime("24:00", 86_400) == 86_400
    for wrong in ("0", "25", "00:00", "1:5", "1:60", "x", "-1"):
        with pytest.raises(GatewayError) as refused:
            lifetime(wrong, 14_400)
        assert refused.value.code == "invalid_validity"


def test_translit_and_maxsms() -> None:
    assert transliterate("Съешь ещё этих мягких булок", Translit.LATIN) == (
        "S\"esh' eshhyo etih myagkih bulok"
    )
    assert transliterate("Жёлтый ЩИТ", Translit.LATIN) == "Zhyoltyj ShhIT"
    assert transliterate("Привет", Translit.LOOKALIKE) == "npuBeT"
    assert transliterate("abc 123", Translit.LATIN) == "abc 123"
    assert message_text("Привет", "1", None) == "Privet"
    cut = message_text("Ж" * 200, None, "2")
    assert count_segments(cut) == 2 and cut != "Ж" * 200 and len(cut) == 134
    with pytest.raises(GatewayError):
        message_text("x", "3", None)
    with pytest.raises(GatewayError):
        message_text("x", None, "0")
    with pytest.raises(GatewayError) as too_long:
        message_text("x" * 1001, None, None)
    assert too_long.value.code == "parameter_too_long"


def test_message_ids() -> None:
    assert message_id("2147483647") == "2147483647"
    assert message_id("order-7.a_b") == "order-7.a_b"
    assert message_id("") is None
    for wrong in ("x" * 41, "a b", "й"):
        with pytest.raises(GatewayError):
            message_id(wrong)


def test_the_guard_blocks_an_address_for_the_rest_of_its_window() -> None:
    clock = ManualClock()
    guard = AddressGuard(clock, limit=3, window=60)
    for _ in range(3):
        guard.check("198.51.100.1")
        guard.refused("198.51.100.1")
    with pytest.raises(GatewayError) as blocked:
        guard.check("198.51.100.1")
    assert blocked.value.code == "address_blocked"
    guard.check("198.51.100.2")  # another address is not affected
    clock.advance(60)
    guard.check("198.51.100.1")


def test_answer_shapes() -> None:
    assert money(None) == "0"
    assert money(Decimal("1.4")) == "1.40"
    assert money(Decimal("0.0070")) == "0.007"
    # a price without trailing zeros, as SMSC.ru's answers show it ("cost": "3.8")
    assert (price_text(None), price_text(Decimal("3.80")), price_text(Decimal("4"))) == (
        "0",
        "3.8",
        "4",
    )
    answer = send_answer("1", "utf-8", "12", 2, "3", Decimal("2.80"), Decimal("7.2"))
    assert answer.body == b"12,2,2.8,7.20"
    error = error_answer(GatewayError("invalid_destination"), "1", "windows-1251", "55")
    assert error.body == b"55,-7"
    error = error_answer(GatewayError("unauthorized"), "2", "koi8-r", "55")
    assert error.body.decode("koi8-r").endswith(
        "<result><error>authorise error</error><error_code>2</error_code></result>"
    )


@pytest.mark.parametrize(
    ("status", "error_code", "detail", "expected", "err"),
    [
        (Status.SCHEDULED, None, None, -1, 0),
        (Status.QUEUED, None, None, -1, 0),
        (Status.SENDING, None, None, -1, 0),
        (Status.SENT, None, None, 0, 0),
        (Status.DELIVERED, None, None, 1, 0),
        (Status.EXPIRED, "expired", None, 3, 0),
        (Status.CANCELED, "canceled", None, -2, 0),
        (Status.UNDELIVERED, "undeliverable", "network error 013", 20, 13),
        (Status.FAILED, "carrier_rejected", "ESME_RSUBMITFAIL", 20, 0),
        (Status.REJECTED, "invalid_destination", None, 22, 0),
        (Status.REJECTED, "opted_out", None, 23, 0),
        (Status.REJECTED, "insufficient_balance", None, 24, 0),
        (Status.REJECTED, "no_route", None, 25, 0),
    ],
)
def test_status_codes_of_messages(
    status: Status, error_code: str | None, detail: str | None, expected: int, err: int
) -> None:
    message = new_message(status=status, created_at=NOW)
    message.error_code, message.error_detail = error_code, detail
    message.updated_at = NOW + 65
    fields = dict(status_fields(message, NOW + 100, None))
    assert fields == {
        "status": expected,
        "last_date": "23.11.2026 10:31:05",
        "last_timestamp": int(NOW + 65),
        "err": err,
    }
    detailed = dict(status_fields(message, NOW + 100, "1"))
    assert detailed["status_name"] == STATUS_NAMES[expected]
    assert detailed["send_date"] == "23.11.2026 10:30:00"
    assert detailed["phone"] == message.destination
    assert detailed["cost"] == "0.007"  # the factory's price


def test_status_of_a_message_not_found() -> None:
    assert dict(status_fields(None, NOW, "1")) == {
        "status": -3,
        "last_date": "23.11.2026 10:30:00",
        "last_timestamp": int(NOW),
        "err": 0,
    }


def test_status_answers_with_details_in_the_text_formats() -> None:
    message = new_message(status=Status.DELIVERED, created_at=NOW)
    message.updated_at = NOW + 65
    fields = status_fields(message, NOW + 100, "1")
    text = status_answer("0", "windows-1251", fields).body.decode("cp1251")
    assert text.startswith("Status = 1, check_time = 23.11.2026 10:31:05, err = 0, ")
    assert "send_date = 23.11.2026 10:30:00, phone = 819012345678, cost = 0.007, " in text
    assert "_timestamp" not in text
    values = status_answer("1", "windows-1251", fields).body.decode("cp1251").split(",")
    assert values[:6] == ["1", str(int(NOW + 65)), "0", str(int(NOW)), "819012345678", "0.007"]


def test_status_with_all_shows_the_comment_as_in_the_history() -> None:
    # SMSC.ru: after "\n~~~\n" any text is a comment, not sent but shown in the history
    message = new_message(status=Status.DELIVERED, created_at=NOW)
    message.text, message.comment = "Your code is 1234", "order 17"
    for detail in ("1", "2"):
        fields = dict(status_fields(message, NOW + 100, detail))
        assert fields["message"] == "Your code is 1234\n~~~\norder 17"
    message.comment = None
    assert dict(status_fields(message, NOW + 100, "1"))["message"] == "Your code is 1234"
