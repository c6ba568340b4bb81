"""Delivery status notifications (RFC 3464) as a mail server writes them: what the simulated
relay sends back for an address it "cannot deliver to", and what tests send to the gateway.

    data = dsn_message("bounces+...@b.example", "ann@example.com", action="failed",
                       status="5.1.1", diagnostic="smtp; 550 5.1.1 No such user",
                       original=b"Message-ID: <...>\\r\\n...")
"""

from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate, make_msgid

import aiosmtplib

_WIRE = compat32.clone(linesep="\r\n")


async def send_from_null_sender(
    data: bytes, to: str, host: str, port: int, timeout: float = 10.0
) -> str:
    """Send `data` with the null envelope sender (`MAIL FROM:<>`, as every DSN goes, so that
    no bounce answers a bounce) to `to` at `host`:`port`; the server's answer to the data.
    Raises aiosmtplib's errors (a refused recipient: SMTPRecipientsRefused)."""
    async with aiosmtplib.SMTP(hostname=host, port=port, timeout=timeout) as smtp:
        _, answer = await smtp.sendmail("", [to], data)
    return answer


def dsn_message(
    to: str,
    recipient: str,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 No such user here",
    reporting_mta: str = "relay.simulator",
    original: bytes = b"",
) -> bytes:
    """A multipart/report DSN to `to` (the envelope sender of the message it reports) about
    `recipient`; `original` is the reported message, of which the headers are returned."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = f"Mail Delivery System <MAILER-DAEMON@{reporting_mta}>"
    report["To"] = to
    report["Subject"] = "Delivery Status Notification" + (
        " (Failure)" if action == "failed" else f" ({action.capitalize()})"
    )
    report["Date"] = formatdate()
    report["Message-ID"] = make_msgid(domain=reporting_mta)
    report["Auto-Submitted"] = "auto-replied"
    human = f"Your message to <{recipient}> was {action}: {diagnostic}\n"
    report.attach(MIMEText(human, "plain", "utf-8"))
    per_message = Message()
    per_message["Reporting-MTA"] = f"dns; {reporting_mta}"
    per_recipient = Message()
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    if diagnostic:
        per_recipient["Diagnostic-Code"] = diagnostic
    status_part = Message()
    status_part["Content-Type"] = "message/delivery-status"
    status_part.set_payload([per_message, per_recipient])
    report.attach(status_part)
    headers, _, _ = original.partition(b"\r\n\r\n")
    if headers:
        returned = Message()
        returned["Content-Type"] = "text/rfc822-headers"
        returned.set_payload(headers.decode("ascii", "replace") + "\r\n")
        report.attach(returned)
    return report.as_bytes(policy=_WIRE)


__all__ = ["dsn_message", "send_from_null_sender"]
