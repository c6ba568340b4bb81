"""Sending by e-mail: an SMTP server that takes SMSC.ru-style commands (`command.py`) in the
body of the messages it receives, and answers with the outcome.

    ingress = EmailIngress(config, authenticate=..., accept=gateway.accept, clock=gateway.clock)
    port = await ingress.start()
    ...
    await ingress.stop()

`authenticate(login, secret)` finds the account whose login is `login` and whose password, or
API key, is `secret` (None when there is none, or the secret is wrong); `accept(account,
commands)` is the engine's acceptance, which answers once the messages are stored. The SMTP
answer to the message's data comes only after that:

- 250 2.0.0 with the count accepted, when at least one phone was;
- 550 5.6.0 for a body out of form (no text/plain part, an unknown charset, a field wrong);
- 550 5.7.8 for a wrong login or secret, 550 5.7.1 for a disabled account;
- 550 5.0.0 naming the first refusal when every phone was refused (451 4.3.0 when every
  refusal is temporary: the engine is stopping, its queue is full, the rate is spent);
- 552 past `max_message_bytes` (announced with SIZE), 452 past `max_recipients`, 421 to a
  connection past `max_connections`.

With `reply_by_email`, an authenticated command is also answered by an e-mail to its envelope
sender through the injected `send_reply`, after the SMTP answer and without delaying it. Only
authenticated ones: an answer to anyone else would be backscatter to a forged sender, and the
SMTP refusal already reaches the real one through its own server.

With `bounces` (the e-mail connectors' bounce intake), the same server takes the DSNs that
come back to their bounce addresses: the MX of the bounce domain points here, and one listener
on port 25 serves both kinds, told apart by the recipient at RCPT TO, before any data. A message
is one kind or the other (a second kind's recipient is answered 452: sent again on its own):

- a bounce address whose signature is wrong: 550 5.1.1 at RCPT (a forged bounce changes
  nothing; the refusal goes back to the sender's own server, nothing is sent from here);
- a report out of form: 550 5.6.0 naming the reason;
- a failed report: 250, the part is undelivered; delayed, delivered, relayed: 250, nothing
  changes; the engine not taking the report: 451 4.3.0 (the sender tries again).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session

from smsgate.api.smtp.answer import answer_message
from smsgate.api.smtp.body import MailText, mail_text
from smsgate.api.smtp.command import EmailCommand, parse, send_commands
from smsgate.api.smtp.config import EmailIngressConfig
from smsgate.connectors.email.bounces import BounceIntake, BounceOutcome, BounceTarget, Recipient
from smsgate.connectors.email.dsn import MalformedReportError
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.engine.clock import Clock, SystemClock
from smsgate.engine.commands import SendCommand
from smsgate.transport.smtp_listener import SmtpListener

log = logging.getLogger(__name__)

Authenticate = Callable[[str, str], Awaitable[Account | None]]
Accept = Callable[[Account, list[SendCommand]], Awaitable[Sequence[Message | GatewayError]]]
SendReply = Callable[[EmailMessage], Awaitable[None]]

_TEMPORARY = frozenset({429, 503})  # HTTP statuses of the catalog's "try again later" errors
_BOUNCE_ANSWERS = {
    BounceOutcome.FAILED: "250 2.0.0 Bounce taken, the message is undelivered",
    BounceOutcome.DELAYED: "250 2.0.0 Delay noted, nothing changed",
    BounceOutcome.OTHER: "250 2.0.0 Report noted, nothing changed",
}


class EmailIngress:
    def __init__(
        self,
        config: EmailIngressConfig,
        *,
        authenticate: Authenticate,
        accept: Accept,
        clock: Clock | None = None,
        send_reply: SendReply | None = None,
        bounces: BounceIntake | None = None,
    ) -> None:
        if config.reply_by_email and send_reply is None:
            raise ValueError("reply_by_email needs a send_reply")
        self.config = config
        self.authenticate = authenticate
        self.accept = accept
        self.clock = clock or SystemClock()
        self.send_reply = send_reply
        self.bounces = bounces
        self.port = 0
        self.counters: dict[str, int] = {"accepted": 0, "refused": 0, "replies_dropped": 0}
        self._replies: set[asyncio.Task[None]] = set()
        self._listener: SmtpListener | None = None

    async def start(self) -> int:
        """Listen; the port."""
        config = self.config
        self._listener = SmtpListener(
            self,
            max_connections=config.max_connections,
            data_size_limit=config.max_message_bytes,
            hostname=config.hostname,
            ident="smsgate",
            timeout=config.timeout,
        )
        self.port = await self._listener.start(config.host, config.port)
        log.info("sending by e-mail: SMTP on %s:%d", config.host, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop listening, close the connections, and let the answers by e-mail under way
        finish within the timeout."""
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        if self._replies:
            await asyncio.wait(self._replies, timeout=self.config.timeout)
            for task in self._replies:
                task.cancel()
            await asyncio.gather(*self._replies, return_exceptions=True)

    # -- aiosmtpd's hooks ----------------------------------------------------------------------

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= self.config.max_recipients:
            return "452 4.5.3 Too many recipients"
        kind = self._recipient(address)
        if kind is Recipient.FORGED:
            return "550 5.1.1 No such bounce address"
        if envelope.rcpt_tos:
            first = self._recipient(envelope.rcpt_tos[0])
            if isinstance(first, BounceTarget) != isinstance(kind, BounceTarget):
                return "452 4.5.3 Bounces and commands go in separate messages"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _recipient(self, address: str) -> BounceTarget | Recipient:
        return Recipient.NOT_BOUNCE if self.bounces is None else self.bounces.recipient(address)

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        data = envelope.original_content or b""
        kinds = [self._recipient(address) for address in envelope.rcpt_tos]
        targets = [kind for kind in kinds if isinstance(kind, BounceTarget)]
        if targets:
            return await self._bounce(targets, data)
        try:
            answer = await self._handle(data, envelope.mail_from or "")
        except Exception:
            log.exception("sending by e-mail: a command failed")
            answer = "451 4.3.0 Internal error, try again later"
        self.counters["accepted" if answer.startswith("250") else "refused"] += 1
        return answer

    # -- a bounce ------------------------------------------------------------------------------

    async def _bounce(self, targets: list[BounceTarget], data: bytes) -> str:
        assert self.bounces is not None
        try:
            outcome = await self.bounces.take(targets, data)
        except MalformedReportError as exc:
            return f"550 5.6.0 Not a delivery status notification: {_line(str(exc))}"
        except Exception:
            log.exception("bounces: a report failed")
            return "451 4.3.0 Internal error, try again later"
        if outcome is BounceOutcome.NOT_TAKEN:
            return "451 4.3.0 The report could not be stored, try again later"
        return _BOUNCE_ANSWERS[outcome]

    # -- a command -----------------------------------------------------------------------------

    async def _handle(self, data: bytes, mail_from: str) -> str:
        try:
            mail = mail_text(data)
            command = parse(mail.text, self.config.max_phones)
        except GatewayError as error:
            return f"550 5.6.0 {_line(error.detail or str(error))}"
        account = await self.authenticate(command.login, command.secret)
        if account is None:
            return "550 5.7.8 Wrong login or password"
        if not account.enabled:
            return "550 5.7.1 The account is disabled"
        try:
            commands = send_commands(command, self.clock.time())
            results = await self.accept(account, commands)
        except GatewayError as error:
            return _refusal(error)
        accepted = sum(isinstance(r, Message) for r in results)
        if self.config.reply_by_email and mail_from:
            self._reply(mail_from, mail, command, commands, results)
        if accepted == 0:
            errors = [r for r in results if isinstance(r, GatewayError)]
            if errors and all(e.http_status in _TEMPORARY for e in errors):
                return f"451 4.3.0 {_line(errors[0].detail or str(errors[0]))}"
            first = errors[0] if errors else GatewayError("internal")
            return f"550 5.0.0 No message accepted: {_line(str(first))}"
        return f"250 2.0.0 Accepted {accepted} of {len(commands)} messages"

    def _reply(
        self,
        to: str,
        mail: MailText,
        command: EmailCommand,
        commands: list[SendCommand],
        results: Sequence[Message | GatewayError],
    ) -> None:
        """Send the answer by e-mail in the background; dropped past max_pending_replies."""
        if len(self._replies) >= self.config.max_pending_replies:
            self.counters["replies_dropped"] += 1
            log.warning("sending by e-mail: answer to %s dropped (too many pending)", to)
            return
        assert self.config.reply_from is not None and self.send_reply is not None
        message = answer_message(self.config.reply_from, to, mail.subject, commands, results)
        task = asyncio.get_running_loop().create_task(self._send_reply(message, command.login))
        self._replies.add(task)
        task.add_done_callback(self._replies.discard)

    async def _send_reply(self, message: EmailMessage, login: str) -> None:
        assert self.send_reply is not None
        try:
            await asyncio.wait_for(self.send_reply(message), self.config.timeout)
        except Exception as exc:
            log.warning("sending by e-mail: the answer to %s failed: %s", login, exc)


def _refusal(error: GatewayError) -> str:
    code = "451 4.3.0" if error.http_status in _TEMPORARY else "550 5.6.0"
    return f"{code} {_line(error.detail or str(error))}"


def _line(text: str) -> str:
    """A reply's text: one line, bounded."""
    return " ".join(text.split())[:300]


__all__ = ["Accept", "Authenticate", "EmailIngress", "SendReply"]
