"""The e-mail connector against the simulated relay over loopback SMTP: what the mailbox gets,
the reports, refusals, deferrals and retries."""

from smsgate.connectors.email import message_id
from smsgate.domain.status import Status
from tests.connectors.email.harness import CONNECTOR_ID, FROM, mail_part, rig, run


def test_a_part_is_relayed_accepted_then_delivered() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = mail_part(1, text="Привет, ваш код 1234: не сообщайте его никому")
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            msg_id = message_id(part.key, "gateway.example")
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
