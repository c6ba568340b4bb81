"""SMPP absolute/relative times and receipt dates."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from smpp.pdu import smpp_time as theirs

from smsgate.smpp.smpp_time import (
    SmppTimeError,
    format_receipt_date,
    format_relative,
    format_smpp_time,
    parse_receipt_date,
    parse_smpp_time,
)

NOW = datetime(2026, 11, 23, 15, 30, 0, tzinfo=UTC)

# Aware datetimes in whole-minute offsets; the naive bounds apply to the local fields and leave
# two days of margin so any offset and any tz_quarter_hours stay within 2000-2099.
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 3), max_value=datetime(2099, 12, 29), timezones=offsets
)
quarter_hours = st.integers(min_value=-48, max_value=48)


def to_tenths(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(microsecond=dt.microsecond // 100_000 * 100_000)


# --- absolute form --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("261123153045000+", datetime(2026, 11, 23, 15, 30, 45, tzinfo=UTC)),
        ("261123163045604+", datetime(2026, 11, 23, 15, 30, 45, 600_000, tzinfo=UTC)),
        ("261123103045912-", datetime(2026, 11, 23, 13, 30, 45, 900_000, tzinfo=UTC)),
        ("261123153045000-", datetime(2026, 11, 23, 15, 30, 45, tzinfo=UTC)),
        # +12h on New Year's morning is still the previous year in UTC.
        ("000101060000048+", datetime(1999, 12, 31, 18, 0, tzinfo=UTC)),
        ("280229235959948-", datetime(2028, 3, 1, 11, 59, 59, 900_000, tzinfo=UTC)),
    ],
)
def test_parse_absolute_known_values(value: str, expected: datetime) -> None:
    parsed = parse_smpp_time(value, NOW)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is UTC


def test_empty_string_means_not_set() -> None:
    assert parse_smpp_time("", NOW) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("26112315304500+", "15 characters"),
        ("2611231530450000+", "17 characters"),
        (" 261123153045000+", "17 characters"),
        ("26112315304A000+", "must be digits"),
        ("2611231530 5000+", "must be digits"),
        ("-61123153045000+", "must be digits"),
        ("\u0662\u0666" + "1123153045000+", "must be digits"),
        ("261323153045000+", "month must be in 1..12"),
        ("260013153045000+", "month must be in 1..12"),
        ("261100153045000+", "day is out of range"),
        ("261131153045000+", "day is out of range"),
        ("270229120000000+", "day is out of range"),
        ("261123243045000+", "hour must be in 0..23"),
        ("261123156045000+", "minute must be in 0..59"),
        ("261123153060000+", "second must be in 0..59"),
        ("261123153045049+", "49 quarter-hours exceeds 48"),
        ("261123153045099-", "99 quarter-hours exceeds 48"),
        ("261123153045000*", "'+', '-' or 'R'"),
        ("261123153045000r", "'+', '-' or 'R'"),
        ("2611231530450000", "'+', '-' or 'R'"),
        ("000007000000100R", "'000' before 'R'"),
        ("000007000000001R", "'000' before 'R'"),
    ],
)
def test_parse_rejects_malformed(value: str, message: str) -> None:
    with pytest.raises(SmppTimeError, match=message.replace("+", r"\+").replace("*", r"\*")):
        parse_smpp_time(value, NOW)


def test_smpp_time_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="month"):
        parse_smpp_time("261323153045000+", NOW)


def test_naive_now_is_a_programming_error_not_a_bad_value() -> None:
    with pytest.raises(ValueError, match="now must be") as caught:
        parse_smpp_time("000007000000000R", datetime(2026, 11, 23))
    assert not isinstance(caught.value, SmppTimeError)


@pytest.mark.parametrize(
    ("dt", "quarters", "expected"),
    [
        (datetime(2026, 11, 23, 15, 30, 45, tzinfo=UTC), 0, "261123153045000+"),
        (datetime(2026, 11, 23, 15, 30, 45, 600_000, tzinfo=UTC), 4, "261123163045604+"),
        (datetime(2026, 11, 23, 13, 30, 45, 999_999, tzinfo=UTC), -12, "261123103045912-"),
        # The zone of dt does not matter, only the instant and the requested offset.
        (
            datetime(2026, 11, 23, 21, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            0,
            "261123153000000+",
        ),
        (datetime(1999, 12, 31, 18, 0, tzinfo=UTC), 48, "000101060000048+"),
    ],
)
def test_format_absolute_known_values(dt: datetime, quarters: int, expected: str) -> None:
    assert format_smpp_time(dt, tz_quarter_hours=quarters) == expected


def test_format_absolute_rejects_naive_and_bad_offsets() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_smpp_time(datetime(2026, 11, 23))
    with pytest.raises(ValueError, match="tz_quarter_hours"):
        format_smpp_time(NOW, tz_quarter_hours=49)
    with pytest.raises(ValueError, match="tz_quarter_hours"):
        format_smpp_time(NOW, tz_quarter_hours=-49)


@pytest.mark.parametrize(
    "dt",
    [
        datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2100, 1, 1, tzinfo=UTC),
    ],
)
def test_format_absolute_rejects_years_two_digits_cannot_hold(dt: datetime) -> None:
    with pytest.raises(SmppTimeError, match="2000-2099"):
        format_smpp_time(dt)


@given(aware_datetimes, quarter_hours)
def test_absolute_round_trip(dt: datetime, quarters: int) -> None:
    text = format_smpp_time(dt, tz_quarter_hours=quarters)
    assert len(text) == 16
    assert text[13:15] == f"{abs(quarters):02d}"
    assert parse_smpp_time(text, NOW) == to_tenths(dt)


@given(st.text(max_size=20), aware_datetimes)
def test_parse_arbitrary_text_raises_only_smpp_time_error(value: str, now: datetime) -> None:
    try:
        parsed = parse_smpp_time(value, now)
    except SmppTimeError:
        return
    assert parsed is not None or value == ""
    assert parsed is None or parsed.tzinfo is UTC


@given(
    st.text(alphabet="0123456789", min_size=15, max_size=15),
    st.sampled_from("+-R"),
    aware_datetimes,
)
def test_parse_any_digit_string_raises_only_smpp_time_error(
    digits: str, sign: str, now: datetime
) -> None:
    # Digit-only strings reach the calendar checks that random text rarely gets to.
    try:
        parsed = parse_smpp_time(digits + sign, now)
    except SmppTimeError:
        return
    assert parsed is not None
    assert parsed.tzinfo is UTC


# --- relative form --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        ("000000000000000R", NOW, NOW),
        ("000007000000000R", NOW, NOW + timedelta(days=7)),
        ("000000001000000R", NOW, NOW + timedelta(minutes=10)),
        ("000001020304000R", NOW, NOW + timedelta(days=1, hours=2, minutes=3, seconds=4)),
        # Fields are amounts, so values past a calendar position's range are accepted.
        ("000000480000000R", NOW, NOW + timedelta(hours=48)),
        ("000000009999000R", NOW, NOW + timedelta(minutes=99, seconds=99)),
        # Months are calendar months, clamped to the end of a shorter month.
        (
            "000100000000000R",
            datetime(2027, 1, 31, 12, 0, tzinfo=UTC),
            datetime(2027, 2, 28, 12, 0, tzinfo=UTC),
        ),
        (
            "000100000000000R",
            datetime(2028, 1, 31, 12, 0, tzinfo=UTC),
            datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
        ),
        (
            "001300000000000R",
            datetime(2026, 11, 23, tzinfo=UTC),
            datetime(2027, 12, 23, tzinfo=UTC),
        ),
        (
            "010000000000000R",
            datetime(2028, 2, 29, 8, 0, tzinfo=UTC),
            datetime(2029, 2, 28, 8, 0, tzinfo=UTC),
        ),
        # Months first, then the fixed part: 31 Jan + 1 month + 1 day is 1 March (2027).
        (
            "000101000000000R",
            datetime(2027, 1, 31, tzinfo=UTC),
            datetime(2027, 3, 1, tzinfo=UTC),
        ),
        # Calendar arithmetic happens in UTC: 00:30 on 1 March at +01:00 is still February there.
        (
            "000100000000000R",
            datetime(2027, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
            datetime(2027, 3, 28, 23, 30, tzinfo=UTC),
        ),
    ],
)
def test_parse_relative(value: str, now: datetime, expected: datetime) -> None:
    parsed = parse_smpp_time(value, now)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is UTC


def test_relative_past_year_9999_is_an_smpp_time_error() -> None:
    with pytest.raises(SmppTimeError, match="out of range"):
        parse_smpp_time("990000000000000R", datetime(9950, 1, 1, tzinfo=UTC))
    with pytest.raises(SmppTimeError, match="relative SMPP time"):
        parse_smpp_time("000099000000000R", datetime(9999, 12, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(0), "000000000000000R"),
        (timedelta(minutes=10), "000000001000000R"),
        (timedelta(days=7), "000007000000000R"),
        (timedelta(hours=49), "000002010000000R"),
        (
            timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=999_999),
            "000001020304000R",
        ),
        (timedelta(days=99, hours=23, minutes=59, seconds=59), "000099235959000R"),
    ],
)
def test_format_relative_known_values(delta: timedelta, expected: str) -> None:
    assert format_relative(delta) == expected


@pytest.mark.parametrize(
    ("delta", "message"),
    [
        (timedelta(seconds=-1), "negative"),
        (timedelta(microseconds=-1), "negative"),
        (timedelta(days=100), "99 days"),
    ],
)
def test_format_relative_rejects_what_it_cannot_express(delta: timedelta, message: str) -> None:
    with pytest.raises(SmppTimeError, match=message):
        format_relative(delta)


@given(
    st.timedeltas(
        min_value=timedelta(0), max_value=timedelta(days=100) - timedelta(microseconds=1)
    ),
    aware_datetimes,
)
def test_relative_round_trip(delta: timedelta, now: datetime) -> None:
    whole_seconds = timedelta(seconds=delta // timedelta(seconds=1))
    assert parse_smpp_time(format_relative(delta), now) == now.astimezone(UTC) + whole_seconds


# --- receipt dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2611231530", datetime(2026, 11, 23, 15, 30)),
        ("261123153059", datetime(2026, 11, 23, 15, 30, 59)),
        ("0001010000", datetime(2000, 1, 1)),
        ("9912312359", datetime(2099, 12, 31, 23, 59)),
    ],
)
def test_parse_receipt_date(value: str, expected: datetime) -> None:
    parsed = parse_receipt_date(value)
    assert parsed == expected
    assert parsed.tzinfo is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "10 or 12 digits"),
        ("261123153", "10 or 12 digits"),
        ("26112315301", "10 or 12 digits"),
        ("20261123153000", "10 or 12 digits"),
        ("26112315a0", "10 or 12 digits"),
        ("\u0662\u0666" + "11231530", "10 or 12 digits"),
        ("2613231530", "month must be in 1..12"),
        ("2611311530", "day is out of range"),
        ("261123153060", "second must be in 0..59"),
    ],
)
def test_parse_receipt_date_rejects_malformed(value: str, message: str) -> None:
    with pytest.raises(SmppTimeError, match=message):
        parse_receipt_date(value)


def test_format_receipt_date_keeps_wall_clock_fields() -> None:
    dt = datetime(2026, 11, 23, 15, 30, 59, 999_999)
    assert format_receipt_date(dt) == "2611231530"
    assert format_receipt_date(dt, seconds=True) == "261123153059"
    # An aware datetime is written as its own wall clock, not converted to UTC.
    aware = datetime(2026, 11, 23, 15, 30, tzinfo=timezone(timedelta(hours=3)))
    assert format_receipt_date(aware) == "2611231530"
    with pytest.raises(SmppTimeError, match="2000-2099"):
        format_receipt_date(datetime(2100, 1, 1))


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)),
    st.booleans(),
)
def test_receipt_date_round_trip(dt: datetime, seconds: bool) -> None:
    expected = dt.replace(second=dt.second if seconds else 0, microsecond=0)
    assert parse_receipt_date(format_receipt_date(dt, seconds=seconds)) == expected


# --- cross-check against an independent implementation ---------------------------------------

# smpp.pdu reads two-digit years with strptime's pivot (69-99 are 19xx), so only years up to
# 2068 mean the same to both.
interop_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 3), max_value=datetime(2068, 12, 29), timezones=offsets
)


@pytest.mark.interop
@given(interop_datetimes, quarter_hours)
def test_interop_smpp_pdu_reads_our_absolute_times(dt: datetime, quarters: int) -> None:
    parsed = theirs.parse_absolute_time(format_smpp_time(dt, tz_quarter_hours=quarters))
    # It leaves a zero offset naive.
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    assert parsed == to_tenths(dt)


@pytest.mark.interop
@given(interop_datetimes, quarter_hours)
def test_interop_we_read_smpp_pdu_absolute_times(dt: datetime, quarters: int) -> None:
    # It refuses microseconds past .9 (it computes tenths as a float), so give it whole tenths.
    local = to_tenths(dt).astimezone(theirs.FixedOffset(15 * quarters))
    text = theirs.unparse_absolute_time(local).decode()
    assert parse_smpp_time(text, NOW) == to_tenths(dt)


@pytest.mark.interop
@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=99, hours=23)))
def test_interop_relative_fields_agree(delta: timedelta) -> None:
    rel = theirs.parse_relative_time(format_relative(delta))
    assert (rel.years, rel.months) == (0, 0)
    assert timedelta(
        days=rel.days, hours=rel.hours, minutes=rel.minutes, seconds=rel.seconds
    ) == timedelta(seconds=delta // timedelta(seconds=1))
