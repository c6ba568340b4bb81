"""How the message page words an attempt: the receiver's answer per channel, the error text
only where it says more, and the duration."""

from smsgate.api.console.callback_attempts import answer, duration
from smsgate.domain.outbox import AttemptOutcome, OutboxAttempt

RETRY = AttemptOutcome.RETRY


def _attempt(code: int | None, detail: str | None) -> OutboxAttempt:
    return OutboxAttempt("ob-1", 1, 0.0, RETRY, code, detail)


def test_the_answer_per_channel_without_repeating_the_error() -> None:
    assert answer("http", _attempt(500, "HTTP 500")) == "HTTP 500"
    assert answer("http", _attempt(200, None)) == "HTTP 200"
    assert answer("http", _attempt(None, "no answer within 0.5 s")) == "no answer within 0.5 s"
    assert answer("http", _attempt(None, None)) == ""
    refused = "deliver_sm refused with status 0x58"
    assert answer("smpp", _attempt(0x58, refused)) == "ESME_RTHROTTLED (0x58)"
    assert answer("smpp", _attempt(0, None)) == "ESME_ROK (0x0)"
    assert answer("smpp", _attempt(0x400, "odd")) == "0x00000400: odd"  # vendor-specific


def test_durations_in_milliseconds_under_a_second() -> None:
    assert duration(None) == ""
    assert duration(0.0123) == "12 ms"
    assert duration(2.5) == "2.50 s"
