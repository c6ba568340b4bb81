"""The e-mail connector against the simulated relay over loopback SMTP: what the mailbox gets,
the reports, refusals, deferrals and retries."""

from dataclasses import replace

from smsgate.connectors.email import message_id
from smsgate.domain.status import Status
from smsgate.engine.ports import PartKey
from smsgate.simulator.smtp_relay import SmtpRelayConfig
from tests.connectors.email.harness import CONNECTOR_ID, FROM, TIMEOUT, mail_part, rig, run

DOMAIN = "gateway.example"  # of FROM: the Message-IDs' domain


def test_a_part_is_relayed_accepted_then_delivered() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = mail_part(1, text="Привет! Ваш код подтверждения: 1234")
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            msg_id = message_id(part.key, DOMAIN)
            assert r.events.accepted_parts == [(part.key, msg_id, CONNECTOR_ID)]
            (report,) = r.events.receipts
            assert report.carrier_ids == (msg_id,)
            assert (report.status, report.label, report.error) == (
                Status.DELIVERED,
                "DELIVRD",
                "000",
            )
            (got,) = r.relay.mailbox("alice@example.com")
            assert got.sender == FROM
            assert got.message["Message-ID"] == f"<{msg_id}>"
            assert got.message["Subject"] == "Your code"
            assert got.message["From"].addresses[0].display_name == "Shop"
            assert got.message["From"].addresses[0].addr_spec == FROM
            assert got.message.get_content_type() == "text/plain"
            assert got.message.get_content_charset() == "utf-8"
            assert got.message.get_content().replace("\r\n", "\n").rstrip("\n") == part.text
            assert not r.events.failures

    run(scenario)


def test_a_source_that_is_an_address_is_the_from() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = mail_part(1, source="news@shop.example", subject=None)
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            (got,) = r.relay.mailbox("alice@example.com")
            assert got.sender == "news@shop.example"
            assert str(got.message["From"]) == "news@shop.example"
            assert "Subject" not in got.message

    run(scenario)


def test_a_destination_that_is_no_address_fails_without_a_send() -> None:
    async def scenario() -> None:
        async with rig() as r:
            for n, destination in enumerate(("79991234567", "bob@", "a b@example.com")):
                assert r.connector.submit(mail_part(n, destination=destination))
            await r.events.wait_until(lambda: len(r.events.failures) == 3)
            assert {(f[1], f[3]) for f in r.events.failures} == {("invalid_destination", True)}
            assert r.relay.counters.taken == 0 and not r.events.accepted_parts

    run(scenario)


def test_an_internationalised_domain_goes_in_its_idna_form() -> None:
    async def scenario() -> None:
        async with rig() as r:
            assert r.connector.submit(mail_part(1, destination="info@пример.рф"))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            (got,) = r.relay.mailbox("info@xn--e1afmkfd.xn--p1ai")
            assert got.recipient == "info@xn--e1afmkfd.xn--p1ai"

    run(scenario)


def test_a_5xx_fails_the_part_for_good_with_the_reply_in_the_detail() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = mail_part(1, destination="nobody@refused.example")
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: bool(r.events.failures))
            ((key, error, detail, permanent),) = r.events.failures
            assert (key, error, permanent) == (part.key, "undeliverable", True)
            assert detail == "550 5.1.1 No such user here (e-mail error 1)"
            assert r.relay.counters.refused == 1  # not sent again
            # the session survived the refusal: the next part goes through it
            assert r.connector.submit(mail_part(2))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            assert r.connector.is_up

    run(scenario)


def test_a_policy_refusal_of_the_content_is_error_5() -> None:
    async def scenario() -> None:
        async with rig(SmtpRelayConfig(port=0, refuse_share=1.0)) as r:
            assert r.connector.submit(mail_part(1))
            await r.events.wait_until(lambda: bool(r.events.failures))
            ((_, error, detail, permanent),) = r.events.failures
            assert (error, permanent) == ("undeliverable", True)
            assert detail == "554 5.7.1 Message refused by policy (e-mail error 5)"

    run(scenario)


def test_a_4xx_is_retried_then_fails_for_now_only() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = mail_part(1, destination="later@deferred.example")
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: bool(r.events.failures))
            ((key, error, detail, permanent),) = r.events.failures
            assert (key, error, permanent) == (part.key, "carrier_unavailable", False)
            assert detail.startswith("451 4.7.1 Greylisted")
            assert detail.endswith("(e-mail error 8), after 3 attempts")
            assert r.relay.counters.deferred == 3
            assert r.connector.stats.retried == 2
            assert r.connector.is_up  # a deferral says nothing about the relay's health

    run(scenario)


def test_a_4xx_is_retried_until_the_relay_takes_it() -> None:
    async def scenario() -> None:
        async with rig(SmtpRelayConfig(port=0, defer_share=1.0), max_attempts=5) as r:
            assert r.connector.submit(mail_part(1))
            await r.relay.wait_until(lambda: r.relay.counters.deferred >= 2, TIMEOUT)
            r.relay.config.defer_share = 0.0  # read at each message
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            assert not r.events.failures
            assert len(r.relay.mailbox("alice@example.com")) == 1

    run(scenario)


def test_a_lost_connection_takes_the_relay_down_and_the_part_is_sent_again() -> None:
    async def scenario() -> None:
        async with rig(SmtpRelayConfig(port=0, drop_share=1.0), max_attempts=5) as r:
            assert r.connector.submit(mail_part(1))
            await r.relay.wait_until(lambda: r.relay.counters.dropped >= 2, TIMEOUT)
            r.relay.config.drop_share = 0.0
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            assert not r.events.failures
            assert r.connector.stats.lost >= 2
            assert r.connector.is_up
            # sent again under the same Message-ID: the receiving side sees one message
            (got,) = r.relay.mailbox("alice@example.com")
            assert got.message["Message-ID"] == f"<{r.events.accepted_parts[0][1]}>"

    run(scenario)


def test_connections_lost_for_every_attempt_fail_the_part_for_now_only() -> None:
    async def scenario() -> None:
        async with rig(SmtpRelayConfig(port=0, drop_share=1.0)) as r:
            part = mail_part(1)
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: bool(r.events.failures))
            ((key, error, detail, permanent),) = r.events.failures
            assert (key, error, permanent) == (part.key, "carrier_unavailable", False)
            assert detail.startswith("relay unreachable:")
            assert detail.endswith("after 3 attempts")
            assert r.relay.counters.dropped == 3

    run(scenario)


def test_a_report_the_engine_could_not_take_is_handed_again() -> None:
    async def scenario() -> None:
        async with rig() as r:
            r.events.refuse_receipts = 1
            assert r.connector.submit(mail_part(1))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            assert await r.connector.stop(1.0) == []
            assert r.connector.stats.reports == 1 and r.connector.stats.reports_lost == 0

    run(scenario)


def test_no_report_for_a_part_that_asked_for_none() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = replace(mail_part(1), receipt=False)
            assert r.connector.submit(part)
            assert r.connector.submit(mail_part(2))
            await r.events.wait_until(
                lambda: len(r.events.receipts) == 1 and len(r.events.accepted_parts) == 2
            )
            assert r.events.receipts[0].carrier_ids == (message_id(PartKey("m2", 1), DOMAIN),)

    run(scenario)


def test_a_long_cyrillic_subject_and_sender_name_arrive_whole() -> None:
    subject = " ".join(["Ваш заказ 4711 передан в доставку"] * 6)
    sender = "Магазин «Ромашка»"

    async def scenario() -> None:
        async with rig() as r:
            part = mail_part(1, subject=f" {subject}\r\nBcc: x@example.com", source=sender)
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            (got,) = r.relay.mailbox("alice@example.com")
            # the line break is gone: no header of its own could be slipped in
            assert got.message["Subject"] == f"{subject} Bcc: x@example.com"
            assert "Bcc" not in got.message
            assert got.message["From"].addresses[0].display_name == sender

    run(scenario)
