"""What an e-mail that carries a command says: its subject, and its text: its first
text/plain part (the whole message when it is not multipart), transfer-decoded
(quoted-printable, base64) and decoded in the charset its Content-Type names (US-ASCII when it
names none)."""

from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from smsgate.domain.errors import GatewayError


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    text: str


def mail_text(data: bytes) -> MailText:
    """The subject and the text. Raises GatewayError("invalid_request") when there is no text/plain
    part, its charset is unknown or its bytes are not in that charset."""
    message = message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)  # what the `default` policy builds
    part = message.get_body(preferencelist=("plain",))
    if part is None or part.get_content_type() != "text/plain":
        raise GatewayError("invalid_request", "the message has no text/plain part")
    charset = part.get_content_charset() or "us-ascii"
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raise GatewayError("invalid_request", "the text/plain part is empty")
    subject = " ".join(str(message.get("Subject", "")).split())
    try:
        return MailText(subject, payload.decode(charset))
    except LookupError:
        raise GatewayError("invalid_request", f"unknown charset {charset!r}") from None
    except UnicodeDecodeError:
        raise GatewayError("invalid_request", f"the text is not in its charset {charset}") from None


__all__ = ["MailText", "mail_text"]
