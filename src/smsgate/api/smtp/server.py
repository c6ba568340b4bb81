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


class EmailIngress:
    def __init__(
        self,
        config: EmailIngressConfig,
        *,
        authenticate: Authenticate,
        accept: Accept,
        clock: Clock | None = None,
        send_reply: SendReply | None = None,
    ) -> None:
        if config.reply_by_email and send_reply is None:
            raise ValueError("reply_by_email needs a send_reply")
        self.config = config
        self.authenticate = authenticate
        self.accept = accept
        self.clock = clock or SystemClock()
        self.send_reply = send_reply
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
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        data = envelope.original_content or b""
        try:
            answer = await self._handle(data, envelope.mail_from or "")
        except Exception:
            log.exception("sending by e-mail: a command failed")
            answer = "451 4.3.0 Internal error, try again later"
        self.counters["accepted" if answer.startswith("250") else "refused"] += 1
        return answer

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
