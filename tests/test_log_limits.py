"""The rate-limited log: a repeated problem costs one line per interval, with its count."""

import logging
import re

import pytest

from smsgate.engine.clock import ManualClock
from smsgate.log_limits import LogLimiter

log = logging.getLogger("tests.log_limits")


def counts(records: list[logging.LogRecord]) -> int:
    """Occurrences the lines account for: 1 for a first line, n for "n more"."""
    total = 0
    for record in records:
        found = re.search(r": (\d+) more in", record.getMessage())
        total += int(found.group(1)) if found else 1
    return total


def test_ten_thousand_problems_are_a_few_lines_that_keep_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock(0.0)
    limiter = LogLimiter(log, "peer", interval=10.0, now=clock.time)
    caplog.set_level(logging.WARNING, logger=log.name)
    for i in range(10_000):
        limiter.note("bad PDU", f"pdu {i}")
        clock.advance(0.005)  # 50 s in all: about one line per 10 s
    limiter.flush()
    assert 2 <= len(caplog.records) <= 7
    assert counts(caplog.records) == 10_000
    assert caplog.records[-1].getMessage().endswith("(last: pdu 9999)")
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_each_problem_is_counted_apart_and_their_number_is_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = LogLimiter(log, interval=10.0, now=ManualClock(0.0).time)
    caplog.set_level(logging.WARNING, logger=log.name)
    for i in range(1000):
        limiter.note(f"problem {i % 200}")  # more kinds than tracked: the rest are "other"
    limiter.flush()
    assert len(caplog.records) <= 2 * 65
    assert counts(caplog.records) == 1000


def test_nothing_is_counted_below_the_loggers_level(caplog: pytest.LogCaptureFixture) -> None:
    limiter = LogLimiter(log, level=logging.INFO)
    caplog.set_level(logging.WARNING, logger=log.name)
    limiter.note("quiet")
    limiter.flush()
    assert caplog.records == []
