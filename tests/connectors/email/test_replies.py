"""SMTP replies as e-mail error codes, and what counts as an address."""

import pytest

from smsgate.connectors.email.addresses import smtp_address
from smsgate.connectors.email.replies import Reply


@pytest.mark.parametrize(
    ("code", "text", "err"),
    [
        (250, "2.0.0 OK queued", "0"),
        (550, "5.1.1 No such user", "1"),
        (550, "No such user", "1"),
        (553, "mailbox name not allowed", "1"),
        (550, "5.1.2 Bad destination system", "2"),
        (554, "5.4.4 Unable to route", "2"),
        (552, "5.2.2 Mailbox full", "3"),
        (452, "4.2.2 Over quota", "3"),
        (452, "Insufficient storage", "3"),
        (550, "5.2.1 Mailbox disabled", "4"),
        (550, "5.7.1 Spam detected", "5"),
        (554, "Transaction failed", "5"),
        (552, "5.3.4 Message too big", "6"),
        (552, "Message size exceeds limit", "3"),
        (500, "Syntax error", "7"),
        (451, "4.7.1 Greylisted", "8"),
        (421, "Service not available", "8"),
    ],
)
def test_a_reply_maps_to_its_email_error(code: int, text: str, err: str) -> None:
    assert Reply(code, text).error_code() == err


def test_a_description_is_one_bounded_line() -> None:
    described = Reply(550, "5.1.1 first line\nsecond " + "x" * 1000).describe()
    assert described.startswith("550 5.1.1 first line second x")
    assert "\n" not in described and len(described) < 400
    assert described.endswith("(e-mail error 1)")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("first.last+tag@mail.example.org", "first.last+tag@mail.example.org"),
        ("root@localhost", "root@localhost"),
        ("info@пример.рф", "info@xn--e1afmkfd.xn--p1ai"),
        ("79991234567", None),
        ("alice@", None),
        ("@example.com", None),
        ("a@b@example.com", None),
        ("a b@example.com", None),
        ("alice@example", None),
        ("alice@-bad-.example", None),
        ("alice..dots@example.com", None),
        ("алиса@example.com", None),  # a non-ASCII local part needs SMTPUTF8: not sent
        ("a" * 65 + "@example.com", None),
        ("a@" + "b" * 250 + ".com", None),
    ],
)
def test_addresses(value: str, expected: str | None) -> None:
    assert smtp_address(value) == expected
