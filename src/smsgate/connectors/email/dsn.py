"""Delivery status notifications (RFC 3464), read with the standard `email` package: a
`multipart/report; report-type=delivery-status` message whose `message/delivery-status` part
holds a block of fields about the message, then one block per recipient (Action, Status,
Diagnostic-Code, Final-Recipient).

    report = delivery_status(data)      # raises MalformedReportError
    report.outcome                      # the recipient block that decides: failed first
"""

import re
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from typing import Final

from smsgate.connectors.email.replies import Reply

ACTIONS: Final = frozenset({"failed", "delayed", "delivered", "relayed", "expanded"})
_STATUS: Final = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})")
_SMTP_CODE: Final = re.compile(r"([245]\d\d)[ -]")
_RANK: Final = {"failed": 0, "delayed": 1}  # the rest: the message went on


class MalformedReportError(ValueError):
    """Not a delivery status notification, or one out of form; the text says why."""


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One recipient's block of a report."""

    action: str  # failed, delayed, delivered, relayed or expanded
    status: str  # the enhanced status code (RFC 3463), "5.1.1"
    diagnostic: str  # the remote server's reply, when the report gives one ("550 5.1.1 ...")
    recipient: str  # the Final-Recipient's address, when given

    def reply(self) -> Reply:
        """The failure as an SMTP reply, to be described and coded as a refusal at sending is
        (replies.py): the diagnostic's own reply code, else 550 or 450 by the status's class."""
        found = _SMTP_CODE.match(self.diagnostic + " ")
        code = int(found.group(1)) if found else (550 if self.status[0] == "5" else 450)
        text = self.diagnostic[found.end() :].strip() if found else self.diagnostic
        if not text.startswith(self.status):
            text = f"{self.status} {text}".strip()
        return Reply(code, text)


@dataclass(frozen=True, slots=True)
class StatusReport:
    recipients: tuple[RecipientStatus, ...]

    @property
    def outcome(self) -> RecipientStatus:
        """The block that decides what the report means for the message: a failure before a
        delay before anything else (a message has one recipient; a report may list more)."""
        return min(self.recipients, key=lambda r: _RANK.get(r.action, 2))


def delivery_status(data: bytes) -> StatusReport:
    """The report in `data` (an e-mail's bytes). Raises MalformedReportError."""
    message = message_from_bytes(data, policy=compat32)
    if message.get_content_type() != "multipart/report":
        raise MalformedReportError(f"a {message.get_content_type()} message, not a report")
    kind = str(message.get_param("report-type") or "").lower()
    if kind != "delivery-status":
        raise MalformedReportError(f"report-type {kind or 'missing'}, not delivery-status")
    parts = message.get_payload()
    found = [
        p
        for p in (parts if isinstance(parts, list) else [])
        if isinstance(p, Message) and p.get_content_type() == "message/delivery-status"
    ]
    if not found:
        raise MalformedReportError("no message/delivery-status part")
    blocks = found[0].get_payload()
    if not isinstance(blocks, list) or len(blocks) < 2:
        raise MalformedReportError("no recipient in the delivery-status part")
    recipients = [block for block in blocks[1:] if isinstance(block, Message)]
    if len(recipients) != len(blocks) - 1:
        raise MalformedReportError("the delivery-status part is out of form")
    return StatusReport(tuple(_recipient(block) for block in recipients))


def _recipient(block: Message) -> RecipientStatus:
    action = _field(block, "Action").lower()
    if action not in ACTIONS:
        raise MalformedReportError(f"Action {action!r} is none of {', '.join(sorted(ACTIONS))}")
    status = _field(block, "Status")
    found = _STATUS.match(status)
    if found is None:
        raise MalformedReportError(f"Status {status!r} is no enhanced status code")
    return RecipientStatus(
        action,
        found.group(0),
        _typed(block.get("Diagnostic-Code")),
        _typed(block.get("Final-Recipient")),
    )


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    if value is None:
        raise MalformedReportError(f"a recipient block without {name}")
    return " ".join(str(value).split())


def _typed(value: object) -> str:
    """A typed field's value without its type: "smtp; 550 ..." -> "550 ..."."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    kind, semicolon, rest = text.partition(";")
    return rest.strip()[:300] if semicolon and " " not in kind.strip() else text[:300]


__all__ = ["MalformedReportError", "RecipientStatus", "StatusReport", "delivery_status"]
