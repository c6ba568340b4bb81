"""An SMTP server (aiosmtpd's protocol) on the running event loop, with a connection limit.

aiosmtpd's own `Controller` runs the server in a thread with a loop of its own; the gateway's
SMTP ingress must call the engine on the gateway's loop, so the protocol is served here with
`loop.create_server` instead. A connection past `max_connections` is answered
"421 4.7.0 Too many connections" and closed before the greeting.

    listener = SmtpListener(handler, max_connections=100, data_size_limit=65_536, ...)
    port = await listener.start("127.0.0.1", 0)
    ...
    await listener.stop()
"""

import asyncio
import ssl
from typing import Any, Final

from aiosmtpd.smtp import SMTP

TOO_MANY: Final = b"421 4.7.0 Too many connections, try again later\r\n"


class SmtpListener:
    def __init__(
        self,
        handler: object,
        *,
        max_connections: int,
        ssl_context: ssl.SSLContext | None = None,
        **options: Any,
    ) -> None:
        """`handler` and `options` are aiosmtpd's (its handle_* hooks, and the SMTP keyword
        arguments: data_size_limit, tls_context, authenticator, timeout, ...)."""
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.handler = handler
        self.options = options
        self.max_connections = max_connections
        self.ssl_context = ssl_context  # implicit TLS: from the first byte
        self.port = 0
        self.refused = 0  # connections refused for the limit
        self._open: set[SMTP] = set()
        self._server: asyncio.Server | None = None

    @property
    def connections(self) -> int:
        return len(self._open)

    async def start(self, host: str, port: int) -> int:
        """Listen; the port (chosen by the kernel when `port` is 0)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._connected, host, port, ssl=self.ssl_context, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and close the connections still open."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for protocol in list(self._open):
            if protocol.transport is not None:
                protocol.transport.close()
        await server.wait_closed()

    def _connected(self) -> asyncio.Protocol:
        if len(self._open) >= self.max_connections:
            self.refused += 1
            return _Refusal()
        protocol = _Counted(
            self._open, self.handler, loop=asyncio.get_running_loop(), **self.options
        )
        self._open.add(protocol)
        return protocol


class _Counted(SMTP):
    """aiosmtpd's protocol, leaving the listener's set of open connections when it closes."""

    def __init__(self, open_set: set[SMTP], handler: object, **options: Any) -> None:
        super().__init__(handler, **options)
        self._open_set = open_set

    def connection_lost(self, error: Exception | None) -> None:
        self._open_set.discard(self)
        super().connection_lost(error)


class _Refusal(asyncio.Protocol):
    """Answers 421 and closes: a connection over the limit."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(TOO_MANY)
        transport.close()


__all__ = ["TOO_MANY", "SmtpListener"]
