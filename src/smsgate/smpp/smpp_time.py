"""SMPP time strings (schedule_delivery_time, validity_period, final_date) and receipt dates.

Absolute form ``YYMMDDhhmmsstnnp``: local wall-clock time, ``t`` tenths of a second, ``nn``
quarter-hours between that local time and UTC (00-48), ``p`` '+' (local is ahead of UTC) or '-'.
Relative form ``YYMMDDhhmmss000R``: an amount of time to add to the moment of reception.
The empty string means "not set".

Two-digit years are read as 2000-2099 everywhere: SMPP times and receipt dates describe moments
close to now, and a fixed century keeps parsing independent of the clock.

Pure functions: the current time is always passed in.
"""

import calendar
import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = [
    "SmppTimeError",
    "format_receipt_date",
    "format_relative",
    "format_smpp_time",
    "parse_receipt_date",
    "parse_smpp_time",
]

SMPP_TIME_LENGTH = 16
MAX_QUARTER_HOURS = 48
MAX_RELATIVE_DAYS = 99
_CENTURY = 2000

# re.ASCII: str.isdigit() and int() also accept non-ASCII digits, which no SMSC means.
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


class SmppTimeError(ValueError):
    """A value cannot be read or written as an SMPP time or receipt date."""


def _two_digit_fields(digits: str) -> list[int]:
    return [int(digits[i : i + 2]) for i in range(0, len(digits), 2)]


def _wall_clock(value: str, fields: list[int], tenths: int = 0) -> datetime:
    """Naive datetime from [YY, MM, DD, hh, mm(, ss)], rejecting impossible calendar values."""
    yy, month, day, hour, minute, *rest = fields
    second = rest[0] if rest else 0
    try:
        return datetime(_CENTURY + yy, month, day, hour, minute, second, tenths * 100_000)
    except ValueError as exc:
        raise SmppTimeError(f"invalid date or time in {value!r}: {exc}") from None


def _check_year(local: datetime, what: str) -> None:
    if not _CENTURY <= local.year < _CENTURY + 100:
        raise SmppTimeError(
            f"{what} {local.isoformat()} has a year outside {_CENTURY}-{_CENTURY + 99}, "
            "which two-digit years cannot express"
        )


def parse_smpp_time(value: str, now: datetime) -> datetime | None:
    """Read an SMPP time as an aware UTC datetime; None for the empty string ("not set").

    Relative values are added to ``now`` (which must be aware), in UTC: years and months as
    calendar months (the day is clamped to the end of a shorter month, so 31 Jan + 1 month is
    28/29 Feb), then days, hours, minutes and seconds as fixed durations. Relative fields are
    amounts rather than calendar positions, so any two digits are accepted in each
    (``000000480000000R`` is 48 hours). ``now`` is checked even when unused, so that a naive
    clock shows up on the first call rather than on the first relative value.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if value == "":
        return None
    if len(value) != SMPP_TIME_LENGTH:
        raise SmppTimeError(
            f"SMPP time {value!r} has {len(value)} characters, expected {SMPP_TIME_LENGTH} or none"
        )
    digits, sign = value[:15], value[15]
    if not _DIGITS.fullmatch(digits):
        raise SmppTimeError(f"SMPP time {value!r}: the first 15 characters must be digits")
    if sign == "R":
        return _add_relative(value, digits, now)
    if sign not in "+-":
        raise SmppTimeError(f"SMPP time {value!r}: last character must be '+', '-' or 'R'")
    quarters = int(digits[13:15])
    if quarters > MAX_QUARTER_HOURS:
        raise SmppTimeError(
            f"SMPP time {value!r}: UTC offset {quarters} quarter-hours exceeds {MAX_QUARTER_HOURS}"
        )
    local = _wall_clock(value, _two_digit_fields(digits[:12]), tenths=int(digits[12]))
    offset = timedelta(minutes=15 * quarters) * (1 if sign == "+" else -1)
    return local.replace(tzinfo=timezone(offset)).astimezone(UTC)


def _add_relative(value: str, digits: str, now: datetime) -> datetime:
    if digits[12:15] != "000":
        raise SmppTimeError(f"relative SMPP time {value!r} must have '000' before 'R'")
    years, months, days, hours, minutes, seconds = _two_digit_fields(digits[:12])
    start = now.astimezone(UTC)
    month_index = start.month - 1 + 12 * years + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    try:
        day = min(start.day, calendar.monthrange(year, month)[1])
        shifted = start.replace(year=year, month=month, day=day)
        return shifted + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except (ValueError, OverflowError) as exc:
        raise SmppTimeError(f"relative SMPP time {value!r} from {now.isoformat()}: {exc}") from None


def format_smpp_time(dt: datetime, *, tz_quarter_hours: int = 0) -> str:
    """Write an aware datetime in the absolute form, as local time ``tz_quarter_hours`` from UTC.

    Precision is tenths of a second; finer parts are truncated.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("dt must be a timezone-aware datetime")
    if not -MAX_QUARTER_HOURS <= tz_quarter_hours <= MAX_QUARTER_HOURS:
        raise ValueError(
            f"tz_quarter_hours must be within ±{MAX_QUARTER_HOURS}, got {tz_quarter_hours}"
        )
    local = dt.astimezone(timezone(timedelta(minutes=15 * tz_quarter_hours)))
    _check_year(local, "time")
    sign = "-" if tz_quarter_hours < 0 else "+"
    tenths = local.microsecond // 100_000
    return f"{local:%y%m%d%H%M%S}{tenths}{abs(tz_quarter_hours):02d}{sign}"


def format_relative(delta: timedelta) -> str:
    """Write a non-negative duration in the relative form, as days, hours, minutes and seconds.

    Years and months stay zero: they are calendar units (see parse_smpp_time), so no timedelta
    maps onto them exactly. That caps the form at 99 days 23:59:59; use an absolute time beyond.
    Fractions of a second are truncated, the form has none.
    """
    if delta < timedelta(0):
        raise SmppTimeError(f"relative SMPP time cannot be negative: {delta}")
    total = delta // timedelta(seconds=1)
    days, rest = divmod(total, 86_400)
    if days > MAX_RELATIVE_DAYS:
        raise SmppTimeError(
            f"{delta} exceeds the {MAX_RELATIVE_DAYS} days a relative SMPP time can hold "
            "without calendar months"
        )
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    return f"0000{days:02d}{hours:02d}{minutes:02d}{seconds:02d}000R"


def parse_receipt_date(value: str) -> datetime:
    """Read a receipt date, ``YYMMDDhhmm`` or ``YYMMDDhhmmss``, as a naive datetime.

    Receipt dates carry no zone (they are in the SMSC's local time), so the result is naive and
    the caller decides what zone the SMSC runs in.
    """
    if len(value) not in (10, 12) or not _DIGITS.fullmatch(value):
        raise SmppTimeError(f"receipt date {value!r} must be 10 or 12 digits (YYMMDDhhmm[ss])")
    return _wall_clock(value, _two_digit_fields(value))


def format_receipt_date(dt: datetime, *, seconds: bool = False) -> str:
    """Write the wall-clock fields of ``dt`` as ``YYMMDDhhmm[ss]``, without zone conversion."""
    _check_year(dt, "receipt date")
    # %-formatting of the fields: one C call, about 6x faster than strftime (one per receipt)
    fields = (dt.year % 100, dt.month, dt.day, dt.hour, dt.minute)
    if seconds:
        return "%02d%02d%02d%02d%02d%02d" % (*fields, dt.second)  # noqa: UP031
    return "%02d%02d%02d%02d%02d" % fields  # noqa: UP031
