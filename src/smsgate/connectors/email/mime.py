"""A part as an e-mail: a text/plain UTF-8 MIME message built with the standard `email`
package, under a Message-ID derived from the part's key (so a part sent again after a lost
answer is the same message to the receiving systems, which drop repeated Message-IDs).

Built with `MIMEText` and the compat32 policy rather than `EmailMessage`: the same message
(base64 UTF-8 body, RFC 2047 encoded subject and display name) for a quarter of the CPU, which
measured as most of the connector's cost per e-mail."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr
from typing import Final

from smsgate.connectors.email.addresses import smtp_address
from smsgate.connectors.email.config import EmailConnectorConfig
from smsgate.connectors.email.verp import verp_address
from smsgate.engine.ports import OutboundPart, PartKey

# Message-IDs are UUIDs named by the part's key in this namespace (fixed: same part, same id)
_ID_NAMESPACE: Final = uuid.UUID("0c7d5a9e-3b1f-4c55-9f2e-8a41d6e3b7c2")
_WIRE: Final = compat32.clone(linesep="\r\n")  # SMTP's line ends


class UnsendableError(ValueError):
    """A part that cannot become an e-mail; `code` is the catalog entry to fail it with."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Envelope:
    """What goes to the relay: the envelope's sender (the part's VERP address when bounces are
    read) and recipient, the message's bytes, and its Message-ID without the angle brackets
    (the part's id at the provider)."""

    sender: str
    recipient: str
    data: bytes
    message_id: str


def message_id(key: PartKey, domain: str) -> str:
    """The Message-ID (without angle brackets) a part is sent under."""
    return f"{uuid.uuid5(_ID_NAMESPACE, f'{key.message_id}/{key.seq}')}@{domain}"


def envelope(part: OutboundPart, config: EmailConnectorConfig, now: float) -> Envelope:
    """The e-mail of `part`. The From is the part's source when that is an address, else the
    configured address with the source (a sender name) as its display name. Raises
    UnsendableError for a destination that is not an address, or a subject or text too long."""
    recipient = smtp_address(part.destination)
    if recipient is None:
        raise UnsendableError("invalid_destination", f"not an e-mail address: {part.destination!r}")
    subject = str((part.content or {}).get("subject") or "")
    subject = " ".join(subject.split())  # no line breaks: they would start a header of their own
    if len(subject) > config.max_subject_chars:
        raise UnsendableError(
            "carrier_rejected", f"the subject is longer than {config.max_subject_chars} characters"
        )
    if len(part.text) > config.max_text_chars:
        raise UnsendableError(
            "carrier_rejected", f"the text is longer than {config.max_text_chars} characters"
        )
    own = smtp_address(part.source) if part.source else None
    sender = own or config.from_address
    if config.bounce_address is not None and config.bounce_secret is not None:
        # bounces come back to the envelope sender: one naming the part (verp.py)
        sender = verp_address(config.bounce_address, config.bounce_secret, part.key) or sender
    domain = config.id_domain()
    msg_id = message_id(part.key, domain)
    # text/* is sent in its canonical form, CRLF line ends
    body = part.text.replace("\r\n", "\n").replace("\n", "\r\n")
    message = MIMEText(body, "plain", "utf-8")
    if own is not None:
        message["From"] = own
    else:
        name = " ".join(part.source.split())
        message["From"] = formataddr((name, config.from_address), charset="utf-8")
    message["To"] = recipient
    if subject:
        # encoded words folded knowing the header's name, so the first one stays on its line
        encoded = Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
        message["Subject"] = subject if subject.isascii() else encoded
    message["Date"] = format_datetime(datetime.fromtimestamp(now, UTC))
    message["Message-ID"] = f"<{msg_id}>"
    return Envelope(sender, recipient, message.as_bytes(policy=_WIRE), msg_id)


__all__ = ["Envelope", "UnsendableError", "envelope", "message_id"]
