"""One SMTP session with the relay, kept open between messages (aiosmtplib underneath).

    link = RelayLink(config, config.tls_context())
    reply = await link.send(envelope)   # Reply(250, ...), or the relay's refusal
    await link.close()

`send` connects when there is no session (EHLO, STARTTLS or implicit TLS, AUTH), renews one
that sent `messages_per_connection` messages, and answers the relay's reply to the message
(a refused recipient, sender or content is a Reply too: the session stays usable after the
automatic RSET). A failure to connect, to secure or to log in, a lost connection or a timeout
raises RelayUnreachableError and leaves no session; so does a 421 (the relay closes).
"""

import asyncio
import contextlib
import ssl
from typing import Final

import aiosmtplib

from smsgate.connectors.email.config import EmailConnectorConfig
from smsgate.connectors.email.mime import Envelope
from smsgate.connectors.email.replies import Reply

_CLOSING: Final = 421  # the relay's "service not available, closing the channel"


class RelayUnreachableError(Exception):
    """No session with the relay, or it was lost before the message's reply."""


class RelayLink:
    def __init__(self, config: EmailConnectorConfig, tls: ssl.SSLContext | None) -> None:
        self.config = config
        self.tls = tls
        self.sent = 0  # messages the current session took
        self.last_used = 0.0  # loop time of the session's last message (or its opening)
        self._smtp: aiosmtplib.SMTP | None = None

    @property
    def connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    async def connect(self) -> None:
        """Open a session (a no-op while one is open). Raises RelayUnreachableError."""
        if self.connected:
            return
        await self.close()
        config = self.config
        smtp = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            local_hostname=config.local_hostname,
            timeout=config.timeout,
            use_tls=config.implicit_tls,
            start_tls=config.starttls,
            validate_certs=config.verify_certificate,
            tls_context=self.tls,
        )
        try:
            await smtp.connect()
            if smtp.last_ehlo_response is None:  # no TLS or AUTH asked for it: greet now
                await smtp.ehlo()
        except (aiosmtplib.SMTPException, OSError) as exc:
            smtp.close()
            raise RelayUnreachableError(_describe(exc)) from None
        self._smtp = smtp
        self.sent = 0
        self.last_used = asyncio.get_running_loop().time()

    async def send(self, envelope: Envelope) -> Reply:
        """The relay's reply to the message. Raises RelayUnreachableError."""
        if self.sent >= self.config.messages_per_connection:
            await self.close()
        await self.connect()
        smtp = self._smtp
        assert smtp is not None
        self.sent += 1
        self.last_used = asyncio.get_running_loop().time()
        try:
            _, answer = await smtp.sendmail(envelope.sender, [envelope.recipient], envelope.data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            reply = Reply(refused.code, refused.message)
        except aiosmtplib.SMTPResponseException as exc:
            reply = Reply(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise RelayUnreachableError(_describe(exc)) from None
        else:
            return Reply(250, answer)
        if reply.code == _CLOSING or not smtp.is_connected:
            await self.close()
            raise RelayUnreachableError(f"{reply.code} {reply.text}")
        return reply

    async def close(self) -> None:
        """QUIT when the session is open (bounded by the timeout), then drop it."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        if smtp.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await asyncio.wait_for(smtp.quit(), self.config.timeout)
        smtp.close()

    def abort(self) -> None:
        """Drop the session without QUIT: a send was cut and its state is unknown."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


async def probe(config: EmailConnectorConfig, tls: ssl.SSLContext | None) -> None:
    """Open a session and close it: whether the relay takes us. Raises RelayUnreachableError."""
    link = RelayLink(config, tls)
    try:
        await link.connect()
    finally:
        await link.close()


def _describe(exc: Exception) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return f"{type(exc).__name__}: {exc}"


__all__ = ["RelayLink", "RelayUnreachableError", "probe"]
