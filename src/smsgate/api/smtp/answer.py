"""The answer by e-mail to a command: what became of each phone."""

from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.engine.commands import SendCommand


def answer_message(
    reply_from: str,
    to: str,
    subject: str,
    commands: Sequence[SendCommand],
    results: Sequence[Message | GatewayError],
) -> EmailMessage:
    """An e-mail to `to` listing, per phone, the message id or the refusal."""
    lines = []
    for command, result in zip(commands, results, strict=True):
        if isinstance(result, Message):
            lines.append(f"{command.to}: accepted, id {result.id}")
        else:
            lines.append(f"{command.to}: refused, {result.code}: {result.detail or result}")
    accepted = sum(isinstance(r, Message) for r in results)
    message = EmailMessage(policy=SMTP)
    message["From"] = reply_from
    message["To"] = to
    message["Subject"] = f"Re: {subject}" if subject else "Your messages"
    message["Message-ID"] = make_msgid(domain=reply_from.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-replied"  # RFC 3834: no automatic answer to this one
    summary = f"{accepted} of {len(commands)} messages accepted."
    message.set_content("\n".join([summary, "", *lines]) + "\n", charset="utf-8")
    return message


__all__ = ["answer_message"]
