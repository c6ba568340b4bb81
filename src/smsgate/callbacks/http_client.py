"""The callback worker's HTTP/1.1 client: POSTs over keep-alive connections, status only.

Built for many small requests to a few receivers at the least CPU per request: each receiver
(scheme, host, port) has a bounded pool of connections, a request goes out as one write, and
the answer is parsed with httptools; its body is read and dropped. No redirects are followed
(a 3xx is an answer like any other), https verifies the certificate and the host name.

A request sent on a reused connection that the receiver had closed meanwhile (no byte of an
answer came back) is sent once more on a fresh one: receivers close idle connections whenever
they like. Every other failure is the caller's to judge.
"""

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, cast
from urllib.parse import urlsplit

import httptools

USER_AGENT: Final = b"smsgate-callbacks/1"
_MAX_URLS: Final = 4096  # parsed URLs kept; past it the cache starts again


class HttpClientError(Exception):
    """The request got no answer: the connection failed, was reset or the answer was not HTTP."""


class _StaleConnectionError(HttpClientError):
    """A reused connection was closed before any of the answer came: worth one more try."""


@dataclass(frozen=True, slots=True)
class Target:
    """What a URL means to the client: its pool, and the bytes of its request line's parts."""

    key: tuple[str, str, int]  # scheme, host, port
    path: bytes  # path and query
    host: bytes  # the Host header


def parse_target(url: str) -> Target:
    """ValueError for a URL the client cannot send to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if any(c in path for c in " \r\n\t") or any(c in parts.netloc for c in " \r\n\t"):
        raise ValueError(f"white space in the URL: {url!r}")
    host = parts.netloc.rpartition("@")[2]
    return Target((parts.scheme, parts.hostname, port), path.encode(), host.encode("idna"))


class _Connection(asyncio.Protocol):
    """One connection; answers one request at a time."""

    __slots__ = ("_parser", "_status", "_waiter", "closed", "pool", "transport", "used")

    def __init__(self, pool: "_Pool") -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[int] | None = None
        self._status = 0  # of the answer under way, once its headers are in
        self.closed = False
        self.used = False  # has answered a request before

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # nothing asked for: the stream is out of step
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(HttpClientError(f"not an HTTP answer: {error}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        if self._status:  # an answer whose body ends with the connection (HTTP/1.0 style)
            self._answered(keep=False)
        elif self.used:
            self._fail(_StaleConnectionError("the receiver closed the connection"))
        else:
            reason = f": {exc}" if exc else ""
            self._fail(HttpClientError(f"the receiver closed the connection{reason}"))

    # httptools callbacks

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status >= 200 or status == 101:
            self._status = status

    def on_message_complete(self) -> None:
        if self._status:  # else an interim (1xx) answer: the real one follows
            self._answered(keep=self._parser.should_keep_alive())

    # the pool's side

    def send(self, request: bytes, waiter: "asyncio.Future[int]") -> None:
        assert self.transport is not None
        self._waiter = waiter
        self.transport.write(request)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _answered(self, keep: bool) -> None:
        waiter, status = self._waiter, self._status
        self._waiter, self._status = None, 0
        if not keep or status == 101:
            self.close()
        self.used = True
        if waiter is not None and not waiter.done():
            waiter.set_result(status)

    def _fail(self, error: HttpClientError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


class _Pool:
    """The connections to one receiver: at most `limit` open (or opening) at a time."""

    def __init__(self, key: tuple[str, str, int], limit: int, tls: ssl.SSLContext | None) -> None:
        self.key = key
        self.limit = limit
        self.tls = tls
        self.idle: list[_Connection] = []
        self.size = 0  # open or opening
        self.waiting: deque[asyncio.Future[None]] = deque()  # for a free connection

    def take_idle(self) -> _Connection | None:
        """The idle connection used last, if any."""
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed:
                return connection
        return None

    async def take(self, fresh: bool = False) -> _Connection:
        """An idle connection (unless `fresh`), else a new one when under the limit."""
        while True:
            if not fresh and (connection := self.take_idle()) is not None:
                return connection
            if self.size < self.limit:
                return await self._open()
            if fresh and self.idle:  # at the limit: make room by dropping an idle one
                self.idle.pop(0).close()
                continue
            waiter = asyncio.get_running_loop().create_future()
            self.waiting.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
                with contextlib.suppress(ValueError):
                    self.waiting.remove(waiter)

    async def _open(self) -> _Connection:
        scheme, host, port = self.key
        self.size += 1
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                lambda: _Connection(self),
                host,
                port,
                ssl=self.tls if scheme == "https" else None,
                server_hostname=host if scheme == "https" else None,
            )
        except BaseException:
            self.size -= 1
            self._wake()
            raise
        return connection

    def release(self, connection: _Connection) -> None:
        """The request on `connection` is over: it waits for the next one, unless closed."""
        if not connection.closed:
            self.idle.append(connection)
            self._wake()

    def forget(self, connection: _Connection) -> None:
        self.size -= 1
        with contextlib.suppress(ValueError):
            self.idle.remove(connection)
        self._wake()

    def _wake(self) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        for connection in list(self.idle):
            connection.close()
        self.idle.clear()


class HttpClient:
    def __init__(self, per_receiver: int = 8, tls: ssl.SSLContext | None = None) -> None:
        self.per_receiver = per_receiver
        self.tls = tls  # None: the system's CAs, loaded on the first https URL
        self._pools: dict[tuple[str, str, int], _Pool] = {}
        self._targets: dict[str, Target] = {}

    def target(self, url: str) -> Target:
        """`url` parsed (cached); ValueError for one the client cannot send to."""
        target = self._targets.get(url)
        if target is None:
            if len(self._targets) >= _MAX_URLS:
                self._targets.clear()
            target = self._targets[url] = parse_target(url)
        return target

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST `body` to `url`; the answer's status. TimeoutError when the answer is not all
        in within `timeout` seconds (connecting included), HttpClientError when there is none,
        ValueError for a URL or header that cannot be sent."""
        target = self.target(url)
        request = _request(target, body, headers)
        pool = self._pools.get(target.key)
        if pool is None:
            if target.key[0] == "https" and self.tls is None:
                self.tls = ssl.create_default_context()
            pool = self._pools[target.key] = _Pool(target.key, self.per_receiver, self.tls)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            return await self._exchange(pool, request, deadline)
        except _StaleConnectionError:  # closed by the receiver just now: once more, fresh
            return await self._exchange(pool, request, deadline, fresh=True)

    async def _exchange(
        self, pool: _Pool, request: bytes, deadline: float, fresh: bool = False
    ) -> int:
        loop = asyncio.get_running_loop()
        connection = None if fresh else pool.take_idle()
        if connection is None:
            try:
                async with asyncio.timeout_at(deadline):
                    connection = await pool.take(fresh)
            except OSError as error:
                raise HttpClientError(_connect_error(error)) from None
        waiter: asyncio.Future[int] = loop.create_future()
        timer = loop.call_at(deadline, _expire, waiter)
        try:
            connection.send(request, waiter)
            return await waiter
        except BaseException:
            connection.abort()  # an answer may still come: the connection cannot be reused
            raise
        finally:
            timer.cancel()
            pool.release(connection)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


def _request(target: Target, body: bytes, headers: Mapping[str, str]) -> bytes:
    lines = [
        b"POST ",
        target.path,
        b" HTTP/1.1\r\nHost: ",
        target.host,
        b"\r\nUser-Agent: ",
        USER_AGENT,
        b"\r\nContent-Length: ",
        str(len(body)).encode(),
    ]
    for name, value in headers.items():
        text = f"\r\n{name}: {value}"
        if "\n" in text[2:] or "\r" in text[2:]:
            raise ValueError(f"line break in header {name!r}")
        lines.append(text.encode("latin-1"))
    lines.append(b"\r\n\r\n")
    lines.append(body)
    return b"".join(lines)


def _expire(waiter: "asyncio.Future[int]") -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _connect_error(error: OSError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {error.verify_message}"
    return f"{type(error).__name__}: {error}"
