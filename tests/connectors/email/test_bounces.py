"""Bounce addresses (VERP, signed), DSN parsing, the bounce settings, and the one status step
backwards a bounce may take."""

import pytest

from smsgate.connectors.email import EmailConnectorConfig
from smsgate.connectors.email.dsn import MalformedReportError, delivery_status
from smsgate.connectors.email.mime import envelope
from smsgate.connectors.email.verp import MAX_LOCAL, verp_address, verp_key
from smsgate.domain.ids import new_id
from smsgate.domain.status import (
    Status,
    can_overturn,
    can_transition,
    next_message_status,
)
from smsgate.engine.ports import OutboundPart, PartKey
from smsgate.simulator.dsn import dsn_message

BOUNCES = "bounces@b.example"
SECRET = "s3cret-of-the-bounces"


def test_a_bounce_address_names_its_part_and_only_the_secret_signs_it() -> None:
    key = PartKey(new_id(), 3)
    address = verp_address(BOUNCES, SECRET, key)
    assert address is not None and address.endswith("@b.example")
    assert address.startswith("bounces+") and len(address.partition("@")[0]) <= MAX_LOCAL
    assert verp_key(address, BOUNCES, SECRET) == key
    assert verp_key(address.upper(), BOUNCES, SECRET) == key  # a mail system changed the case
    assert verp_key(address, BOUNCES, "another-secret-entirely") is None
    other = verp_address(BOUNCES, SECRET, PartKey(new_id(), 3))
    assert other is not None
    # another part's signature on this part's name
    mine, _, _ = address.partition("@")[0].rpartition(".")
    theirs = other.partition("@")[0].rpartition(".")[2]
    assert verp_key(f"{mine}.{theirs}@b.example", BOUNCES, SECRET) is None
    for broken in ("bounces+abc@b.example", "bounces@b.example", address.replace("b.ex", "c.ex")):
        assert verp_key(broken, BOUNCES, SECRET) is None
    assert verp_address(BOUNCES, SECRET, PartKey("not-hex", 1)) is None


def test_the_envelope_sender_is_the_bounce_address_only_when_bounces_are_read() -> None:
    config = EmailConnectorConfig(id="e", host="relay", from_address="noreply@shop.example")
    part = OutboundPart(PartKey(new_id(), 1), "Shop", "ann@example.com", b"", text="Hi")
    assert envelope(part, config, 0.0).sender == "noreply@shop.example"
    reading = EmailConnectorConfig(
        id="e",
        host="relay",
        from_address="noreply@shop.example",
        bounce_address=BOUNCES,
        bounce_secret=SECRET,
    )
    mail = envelope(part, reading, 0.0)
    assert verp_key(mail.sender, BOUNCES, SECRET) == part.key
    assert b"From: Shop <noreply@shop.example>" in mail.data  # the From is unchanged


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"bounce_address": BOUNCES}, "bounce_secret of at least 16"),
        ({"bounce_address": BOUNCES, "bounce_secret": "short"}, "bounce_secret of at least 16"),
        ({"bounce_secret": SECRET}, "bounce_secret needs a bounce_address"),
        ({"bounce_address": "b+x@b.example", "bounce_secret": SECRET}, "takes no '\\+'"),
        ({"bounce_address": "a" * 20 + "@b.example", "bounce_secret": SECRET}, "at most 19"),
        ({"bounce_address": "nobody", "bounce_secret": SECRET}, "not an e-mail address"),
    ],
)
def test_bounce_settings_are_checked(fields: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        EmailConnectorConfig(id="e", host="relay", from_address="n@shop.example", **fields)


def test_a_report_is_read_with_its_e_mail_error() -> None:
    data = dsn_message(
        "x@b.example", "ann@example.com", status="5.2.2", diagnostic="smtp; 552 5.2.2 Over quota"
    )
    failure = delivery_status(data).outcome
    assert (failure.action, failure.status, failure.recipient) == (
        "failed",
        "5.2.2",
        "ann@example.com",
    )
    assert failure.reply().describe() == "552 5.2.2 Over quota (e-mail error 3)"
    # no diagnostic: the status's class gives the reply code
    bare = delivery_status(dsn_message("x@b.example", "a@e.com", status="5.1.2", diagnostic=""))
    assert bare.outcome.reply().describe() == "550 5.1.2 (e-mail error 2)"
    delayed = dsn_message("x@b.example", "a@e.com", action="delayed", status="4.4.7")
    assert delivery_status(delayed).outcome.action == "delayed"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Subject: hi\r\n\r\nhello\r\n", "a text/plain message, not a report"),
        (
            b"Content-Type: multipart/report; report-type=disposition-notification;"
            b' boundary="B"\r\n\r\n--B\r\n\r\nx\r\n--B--\r\n',
            "report-type disposition-notification",
        ),
        (
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            b"--B\r\nContent-Type: text/plain\r\n\r\nsorry\r\n--B--\r\n",
            "no message/delivery-status part",
        ),
        (
            dsn_message("x@b.example", "a@e.com", action="bounced"),
            "Action 'bounced' is none of",
        ),
        (dsn_message("x@b.example", "a@e.com", status="failed"), "no enhanced status code"),
    ],
)
def test_a_report_out_of_form_is_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(MalformedReportError, match=reason):
        delivery_status(data)


def test_only_a_bounce_takes_a_delivered_part_back() -> None:
    assert not can_transition(Status.DELIVERED, Status.UNDELIVERED)
    assert can_overturn(Status.DELIVERED, Status.UNDELIVERED)
    assert can_overturn(Status.SENT, Status.UNDELIVERED)
    assert not can_overturn(Status.UNDELIVERED, Status.DELIVERED)
    assert not can_overturn(Status.EXPIRED, Status.UNDELIVERED)
    assert next_message_status(Status.DELIVERED, [Status.UNDELIVERED]) is Status.UNDELIVERED
    assert next_message_status(Status.UNDELIVERED, [Status.DELIVERED]) is None
