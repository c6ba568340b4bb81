"""A lean HTTP/1.1 client over keep-alive connections, for the callback worker and the
connectors that speak to a REST platform.

Built for many small requests to a few receivers at the least CPU per request: each receiver
(scheme, host, port) has a bounded pool of connections, a request goes out as one write, and
the answer is parsed with httptools. Two kinds of request:

- `post`: the callbacks' path, status only; the answer's body is read and dropped.
- `request`: any method but HEAD (an answer to HEAD has no body whatever its headers say),
  with the answer's status, the headers the caller names and its body up to `max_body` bytes;
  a longer body is not read (the answer comes back with `body_cut` and the connection is
  closed).

No redirects are followed (a 3xx is an answer like any other), https verifies the certificate
and the host name.

A request sent on a reused connection that the receiver had closed meanwhile (no byte of an
answer came back) is sent once more on a fresh one: receivers close idle connections whenever
they like. Every other failure is the caller's to judge.
"""

import asyncio
import contextlib
import functools
import ssl
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar, cast
from urllib.parse import urlsplit

import httptools
import orjson

USER_AGENT: Final = b"smsgate-callbacks/1"
_MAX_URLS: Final = 4096  # parsed URLs kept; past it the cache starts again
MAX_HEAD: Final = 65_536  # bytes of an answer's status line and headers read at most
# methods `request` sends: HEAD is not among them (its answer's length cannot be parsed alone)
METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_NO_HEADERS: Final[frozenset[bytes]] = frozenset()
_DAY: Final = 86_400.0  # a Retry-After longer than this is taken for a mistake


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

    def joined(self, suffix: str) -> "Target":
        """This target with `suffix` (already percent-encoded: a path's rest and any query)
        after its path; ValueError for white space in it."""
        if any(c in suffix for c in " \r\n\t"):
            raise ValueError(f"white space in the path: {suffix!r}")
        return Target(self.key, self.path.rstrip(b"/") + suffix.encode("ascii"), self.host)


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """An answer to `HttpClient.request`."""

    status: int
    headers: dict[str, str]  # the headers asked for that came, by lower-case name
    body: bytes  # empty when `body_cut`
    body_cut: bool = False  # the body was longer than the request's max_body: not read

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; empty when it is none (empty, not JSON, or another
        JSON value): a platform's answer is read for the fields it has."""
        if not self.body:
            return {}
        try:
            value = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def retry_after(self) -> float | None:
        """Seconds from a Retry-After header (asked for with the request) up to a day; None
        when it is absent, an HTTP date or out of that range: the caller's own pause applies."""
        try:
            seconds = float(self.headers.get("retry-after", ""))
        except ValueError:
            return None
        return seconds if 0 <= seconds < _DAY else None


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


R = TypeVar("R")  # what a connection answers a request with


class _Connection(asyncio.Protocol, Generic[R]):
    """One connection; answers one request at a time. What an answer becomes is the subclass's
    (`_result`): the callbacks' connections keep only the status."""

    __slots__ = ("_parser", "_status", "_waiter", "closed", "pool", "transport", "used")

    def __init__(self, pool: "_Pool[R]") -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        # httptools calls only the callbacks its protocol has: a subclass without on_header
        # and on_body costs nothing per header or body chunk
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[R] | None = None
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

    def send(
        self, request: bytes, waiter: "asyncio.Future[R]", wanted: frozenset[bytes], limit: int
    ) -> None:
        """Write `request`; `waiter` gets the answer. `wanted` (header names, lower case) and
        `limit` (body bytes) are for connections that keep more than the status."""
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

    def _result(self, status: int) -> R:
        raise NotImplementedError

    def _answered(self, keep: bool) -> None:
        waiter, status = self._waiter, self._status
        self._waiter, self._status = None, 0
        if not keep or status == 101:
            self.close()
        self.used = True
        if waiter is not None and not waiter.done():
            waiter.set_result(self._result(status))

    def _fail(self, error: HttpClientError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


class _StatusConnection(_Connection[int]):
    """The callbacks' connection: the answer's status, its headers and body dropped."""

    __slots__ = ()

    def _result(self, status: int) -> int:
        return status


class _AnswerConnection(_Connection[HttpAnswer]):
    """A connection that keeps the headers asked for and the body up to a limit."""

    __slots__ = ("_body", "_cut", "_head", "_headers", "_limit", "_size", "_wanted")

    def __init__(self, pool: "_Pool[HttpAnswer]") -> None:
        self._wanted = _NO_HEADERS
        self._limit = 0
        self._head = 0  # bytes received before the headers were complete
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._size = 0
        self._cut = False
        super().__init__(pool)

    def send(
        self,
        request: bytes,
        waiter: "asyncio.Future[HttpAnswer]",
        wanted: frozenset[bytes],
        limit: int,
    ) -> None:
        self._wanted, self._limit = wanted, limit
        self._head = 0
        super().send(request, waiter, wanted, limit)

    def data_received(self, data: bytes) -> None:
        if not self._status and self._waiter is not None:
            # llhttp bounds no header: a receiver sending headers without end is cut off
            self._head += len(data)
            if self._head > MAX_HEAD:
                self._fail(HttpClientError(f"answer head over {MAX_HEAD} bytes"))
                self.close()
                return
        super().data_received(data)

    def on_message_begin(self) -> None:  # an interim answer's headers are not the answer's
        self._headers = {}
        self._body = []
        self._size = 0
        self._cut = False

    def on_header(self, name: bytes, value: bytes) -> None:
        if (lowered := name.lower()) in self._wanted:
            self._headers[lowered.decode("latin-1")] = value.decode("latin-1").strip()

    def on_body(self, chunk: bytes) -> None:
        if self._cut or not self._status:
            return
        self._size += len(chunk)
        if self._size > self._limit:
            # the rest is not read: the answer stands on its status and headers, and the
            # connection (with unread bytes in it) is not reused
            self._body, self._cut = [], True
            self._answered(keep=False)
            return
        self._body.append(chunk)

    def _result(self, status: int) -> HttpAnswer:
        body = b"".join(self._body)
        answer = HttpAnswer(status, self._headers, body, self._cut)
        self._headers, self._body, self._size = {}, [], 0
        return answer


class _Pool(Generic[R]):
    """The connections to one receiver: at most `limit` open (or opening) at a time."""

    def __init__(
        self,
        key: tuple[str, str, int],
        limit: int,
        tls: ssl.SSLContext | None,
        make: "Callable[[_Pool[R]], _Connection[R]]",
    ) -> None:
        self.key = key
        self.limit = limit
        self.tls = tls
        self.make = make  # a new connection's protocol
        self.idle: list[_Connection[R]] = []
        self.size = 0  # open or opening
        self.waiting: deque[asyncio.Future[None]] = deque()  # for a free connection

    def take_idle(self) -> _Connection[R] | None:
        """The idle connection used last, if any."""
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed:
                return connection
        return None

    async def take(self, fresh: bool = False) -> _Connection[R]:
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

    async def _open(self) -> _Connection[R]:
        scheme, host, port = self.key
        self.size += 1
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                lambda: self.make(self),
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

    def release(self, connection: _Connection[R]) -> None:
        """The request on `connection` is over: it waits for the next one, unless closed."""
        if not connection.closed:
            self.idle.append(connection)
            self._wake()

    def forget(self, connection: _Connection[R]) -> None:
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
    """`per_receiver` connections at most to each (scheme, host, port), for each kind of
    request (`post`, `request`)."""

    def __init__(
        self,
        per_receiver: int = 8,
        tls: ssl.SSLContext | None = None,
        user_agent: bytes = USER_AGENT,
    ) -> None:
        self.per_receiver = per_receiver
        self.tls = tls  # None: the system's CAs, loaded on the first https URL
        self.user_agent = user_agent
        self._pools: dict[tuple[str, str, int], _Pool[int]] = {}
        self._answer_pools: dict[tuple[str, str, int], _Pool[HttpAnswer]] = {}
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
        request = _request(b"POST ", target, body, headers, self.user_agent)
        pool = self._pools.get(target.key)
        if pool is None:
            pool = self._pools[target.key] = _Pool(
                target.key, self.per_receiver, self._tls_for(target), _StatusConnection
            )
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            return await _exchange(pool, request, deadline, _NO_HEADERS, 0)
        except _StaleConnectionError:  # closed by the receiver just now: once more, fresh
            return await _exchange(pool, request, deadline, _NO_HEADERS, 0, fresh=True)

    async def request(
        self,
        method: str,
        target: Target | str,
        *,
        timeout: float,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        answer_headers: tuple[str, ...] = (),
        max_body: int = 65_536,
    ) -> HttpAnswer:
        """Send `method` to `target` (a URL or a parsed one) with `body` (None: none, and no
        Content-Length) and `headers`; the answer with the headers named in `answer_headers`
        and a body of at most `max_body` bytes (a longer one: `body_cut`, empty). Errors as
        `post`'s, and ValueError for a method it does not send."""
        if method not in METHODS:
            raise ValueError(f"method {method!r} is not sent (one of {sorted(METHODS)})")
        if isinstance(target, str):
            target = self.target(target)
        request = _request(f"{method} ".encode(), target, body, headers or {}, self.user_agent)
        wanted = _wanted(answer_headers) if answer_headers else _NO_HEADERS
        pool = self._answer_pools.get(target.key)
        if pool is None:
            pool = self._answer_pools[target.key] = _Pool(
                target.key, self.per_receiver, self._tls_for(target), _AnswerConnection
            )
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            return await _exchange(pool, request, deadline, wanted, max_body)
        except _StaleConnectionError:
            return await _exchange(pool, request, deadline, wanted, max_body, fresh=True)

    def _tls_for(self, target: Target) -> ssl.SSLContext | None:
        if target.key[0] == "https" and self.tls is None:
            self.tls = ssl.create_default_context()
        return self.tls

    def close(self) -> None:
        for pools in (self._pools, self._answer_pools):
            for pool in pools.values():
                pool.close()
            pools.clear()


async def _exchange(
    pool: _Pool[R],
    request: bytes,
    deadline: float,
    wanted: frozenset[bytes],
    limit: int,
    fresh: bool = False,
) -> R:
    loop = asyncio.get_running_loop()
    connection = None if fresh else pool.take_idle()
    if connection is None:
        try:
            async with asyncio.timeout_at(deadline):
                connection = await pool.take(fresh)
        except OSError as error:
            raise HttpClientError(_connect_error(error)) from None
    waiter: asyncio.Future[R] = loop.create_future()
    timer = loop.call_at(deadline, _expire, waiter)
    try:
        connection.send(request, waiter, wanted, limit)
        return await waiter
    except BaseException:
        connection.abort()  # an answer may still come: the connection cannot be reused
        raise
    finally:
        timer.cancel()
        pool.release(connection)


def _request(
    method: bytes,
    target: Target,
    body: bytes | None,
    headers: Mapping[str, str],
    user_agent: bytes,
) -> bytes:
    lines = [
        method,
        target.path,
        b" HTTP/1.1\r\nHost: ",
        target.host,
        b"\r\nUser-Agent: ",
        user_agent,
    ]
    if body is not None:
        lines.append(b"\r\nContent-Length: ")
        lines.append(str(len(body)).encode())
    for name, value in headers.items():
        text = f"\r\n{name}: {value}"
        if "\n" in text[2:] or "\r" in text[2:]:
            raise ValueError(f"line break in header {name!r}")
        lines.append(text.encode("latin-1"))
    lines.append(b"\r\n\r\n")
    if body:
        lines.append(body)
    return b"".join(lines)


@functools.lru_cache(maxsize=64)
def _wanted(names: tuple[str, ...]) -> frozenset[bytes]:
    """Header names as the answer's parser compares them (callers pass the same few)."""
    return frozenset(name.lower().encode("latin-1") for name in names)


def _expire(waiter: "asyncio.Future[R]") -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _connect_error(error: OSError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {error.verify_message}"
    return f"{type(error).__name__}: {error}"
