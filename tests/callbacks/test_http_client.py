"""The lean HTTP client (the callbacks' POST, and the general request the RCS connector uses)
against small servers on loopback that answer as each test tells them, on asyncio's own loop
and on uvloop (the gateway's)."""

import asyncio
import re
import socket
import ssl
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvloop

from smsgate.api.smpp_server.tls import self_signed, server_context
from smsgate.callbacks.http_client import (
    MAX_HEAD,
    HttpAnswer,
    HttpClient,
    HttpClientError,
    parse_target,
)

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
Runner = Callable[[Coroutine[Any, Any, None]], None]


@dataclass(frozen=True)
class Reply:
    data: bytes | None  # None: no answer
    close: bool = False  # close the connection after it (no answer and not closed: hold)


@dataclass
class Server:
    """Answers the n-th request of the c-th connection with `answer(c, n)`."""

    answer: Callable[[int, int], Reply]
    tls: ssl.SSLContext | None = None
    connections: int = 0
    open: int = 0
    most_open: int = 0
    requests: list[bytes] = field(default_factory=list)

    async def start(self) -> int:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        port: int = server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number, self.connections = self.connections, self.connections + 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            for on_connection in range(1000):
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                length = re.search(rb"(?i)\r\ncontent-length: (\d+)", head)
                size = int(length[1]) if length is not None else 0  # none: no body
                self.requests.append(head + await reader.readexactly(size))
                reply = self.answer(number, on_connection)
                if reply.data is not None:
                    writer.write(reply.data)
                    await writer.drain()
                elif not reply.close:
                    await reader.read()  # until the client gives up
                if reply.close or reply.data is None:
                    break
        finally:
            self.open -= 1
            writer.close()


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Runner:
    def runner(main: Coroutine[Any, Any, None]) -> None:
        if request.param == "uvloop":
            uvloop.run(asyncio.wait_for(main, 20))
        else:
            asyncio.run(asyncio.wait_for(main, 20))

    return runner


@pytest.fixture
def client() -> Iterator[HttpClient]:
    made = HttpClient(per_receiver=4)
    yield made
    made.close()


def test_requests_share_a_keep_alive_connection(run: Runner, client: HttpClient) -> None:
    server = Server(lambda c, n: Reply(OK))

    async def main() -> None:
        port = await server.start()
        for i in range(3):
            body = f'{{"n": {i}}}'.encode()
            status = await client.post(
                f"http://127.0.0.1:{port}/cb?a=1", body, {"X-Test": str(i)}, 1.0
            )
            assert status == 200

    run(main())
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /cb?a=1 HTTP/1.1\r\n")
    assert re.search(rb"\r\nHost: 127\.0\.0\.1:\d+\r\n", first)
    assert b"\r\nContent-Length: 8\r\n" in first and b"\r\nX-Test: 0\r\n" in first
    assert first.endswith(b'\r\n\r\n{"n": 0}')


def test_a_connection_closed_by_the_receiver_is_replaced(run: Runner, client: HttpClient) -> None:
    # each connection answers once; the second request on it is read and not answered, as when
    # a receiver closes an idle connection just as the request goes out
    server = Server(lambda c, n: Reply(OK) if n == 0 else Reply(None, close=True))

    async def main() -> None:
        port = await server.start()
        for _ in range(2):
            assert await client.post(f"http://127.0.0.1:{port}/", b"x", {}, 1.0) == 200

    run(main())
    assert server.connections == 2
    assert len(server.requests) == 3  # the second request went out twice


@pytest.mark.parametrize(
    "answer",
    [OK, b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"],
    ids=["closed", "announced"],
)
def test_a_connection_closed_after_an_answer_is_not_reused(
    run: Runner, client: HttpClient, answer: bytes
) -> None:
    server = Server(lambda c, n: Reply(answer, close=True))

    async def main() -> None:
        port = await server.start()
        for _ in range(3):
            assert await client.post(f"http://127.0.0.1:{port}/", b"x", {}, 1.0) == 200

    run(main())
    assert server.connections == 3
    assert len(server.requests) == 3


def test_a_chunked_answer_is_read_and_the_connection_kept(run: Runner, client: HttpClient) -> None:
    chunked = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    server = Server(lambda c, n: Reply(chunked))

    async def main() -> None:
        port = await server.start()
        for _ in range(2):
            assert await client.post(f"http://127.0.0.1:{port}/", b"x", {}, 1.0) == 201

    run(main())
    assert server.connections == 1


def test_an_http_1_0_answer_ends_with_the_connection(run: Runner, client: HttpClient) -> None:
    # no Content-Length: the body runs until the receiver closes
    server = Server(lambda c, n: Reply(b"HTTP/1.0 202 Accepted\r\n\r\nsome body", close=True))

    async def main() -> None:
        port = await server.start()
        for _ in range(2):
            assert await client.post(f"http://127.0.0.1:{port}/", b"x", {}, 1.0) == 202

    run(main())
    assert server.connections == 2


def test_interim_answers_and_redirects_are_not_followed(run: Runner, client: HttpClient) -> None:
    replies = [
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
    ]
    server = Server(lambda c, n: Reply(replies[n]))

    async def main() -> None:
        port = await server.start()
        assert await client.post(f"http://127.0.0.1:{port}/", b"x", {}, 1.0) == 204
        assert await client.post(f"http://127.0.0.1:{port}/", b"x", {}, 1.0) == 302

    run(main())
    assert len(server.requests) == 2


def test_no_answer_in_time_is_a_timeout(run: Runner, client: HttpClient) -> None:
    server = Server(lambda c, n: Reply(None) if c == 0 else Reply(OK))

    async def main() -> None:
        port = await server.start()
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await client.post(f"http://127.0.0.1:{port}/", b"x", {}, 0.2)
        assert time.monotonic() - started < 1.0
        # the late answer could still come on that connection: the next request gets another
        assert await client.post(f"http://127.0.0.1:{port}/", b"x", {}, 1.0) == 200

    run(main())
    assert server.connections == 2


def test_a_refused_connection_and_a_garbled_answer(run: Runner, client: HttpClient) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    server = Server(lambda c, n: Reply(b"SMTP ready\r\n\r\n", close=True))

    async def main() -> None:
        with pytest.raises(HttpClientError, match="ConnectionRefusedError"):
            await client.post(f"http://127.0.0.1:{closed_port}/", b"x", {}, 1.0)
        port = await server.start()
        with pytest.raises(HttpClientError, match="not an HTTP answer"):
            await client.post(f"http://127.0.0.1:{port}/", b"x", {}, 1.0)

    run(main())


def test_connections_per_receiver_are_bounded(run: Runner) -> None:
    server = Server(lambda c, n: Reply(OK))
    client = HttpClient(per_receiver=2)

    async def main() -> None:
        port = await server.start()
        url = f"http://127.0.0.1:{port}/"
        statuses = await asyncio.gather(*(client.post(url, b"x", {}, 5.0) for _ in range(10)))
        assert statuses == [200] * 10

    try:
        run(main())
    finally:
        client.close()
    assert server.connections == 2 and server.most_open == 2


def test_https_verifies_the_receiver_certificate(run: Runner, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, "localhost")
    server = Server(lambda c, n: Reply(OK), tls=server_context(cert, key))
    trusting = HttpClient(tls=ssl.create_default_context(cafile=str(cert)))
    default = HttpClient()

    async def main() -> None:
        port = await server.start()
        for _ in range(2):
            assert await trusting.post(f"https://localhost:{port}/cb", b"x", {}, 2.0) == 200
        with pytest.raises(HttpClientError, match="certificate not trusted"):
            await default.post(f"https://localhost:{port}/cb", b"x", {}, 2.0)
        answer = await trusting.request("GET", f"https://localhost:{port}/cb", timeout=2.0)
        assert (answer.status, answer.body) == (200, b"ok")
        with pytest.raises(HttpClientError, match="certificate not trusted"):
            await default.request("GET", f"https://localhost:{port}/cb", timeout=2.0)

    try:
        run(main())
    finally:
        trusting.close()
        default.close()
    assert len(server.requests) == 3


def test_urls_and_headers_that_cannot_be_sent(run: Runner, client: HttpClient) -> None:
    target = parse_target("https://Example.com/a%20b?x=1#frag")
    assert target.key == ("https", "example.com", 443)
    assert target.path == b"/a%20b?x=1" and target.host == b"Example.com"
    assert parse_target("http://[::1]:8080").key == ("http", "::1", 8080)
    assert parse_target("http://[::1]:8080").path == b"/"
    for bad in ("ftp://example.com/", "http:///path", "http://example.com/a b"):
        with pytest.raises(ValueError):
            parse_target(bad)

    async def main() -> None:
        with pytest.raises(ValueError, match="line break"):
            await client.post("http://127.0.0.1:9/", b"", {"X-Bad": "a\r\nInjected: 1"}, 1.0)

    run(main())


# -- requests with their answer ---------------------------------------------------------------

ANSWER = (
    b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2.5\r\nX-Other: no\r\n"
    b"Content-Type: application/json\r\nContent-Length: 13\r\n\r\n"
    b'{"error": {}}'
)


def test_a_request_gets_its_status_the_headers_asked_for_and_the_body(
    run: Runner, client: HttpClient
) -> None:
    chunked = (
        b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'3\r\n{"a\r\n5\r\n": 1}\r\n0\r\n\r\n'
    )
    server = Server(lambda c, n: Reply(ANSWER if n == 0 else chunked))

    async def main() -> None:
        port = await server.start()
        url = f"http://127.0.0.1:{port}/bot/v1/b%2F1/caps?user=%2B81"
        got = await client.request("GET", url, timeout=1.0, answer_headers=("Retry-After",))
        assert (got.status, got.headers, got.body) == (
            429,
            {"retry-after": "2.5"},
            b'{"error": {}}',
        )
        assert not got.body_cut
        put = await client.request(
            "PUT", url, timeout=1.0, body=b"{}", headers={"Authorization": "Bearer t"}
        )
        assert (put.status, put.headers, put.body) == (202, {}, b'{"a": 1}')

    run(main())
    assert server.connections == 1  # one keep-alive connection for both
    get, put = server.requests
    assert get.startswith(b"GET /bot/v1/b%2F1/caps?user=%2B81 HTTP/1.1\r\n")
    assert b"content-length" not in get.lower()  # no body, no length
    assert put.startswith(b"PUT /bot/v1/b%2F1/caps?user=%2B81 HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Bearer t\r\n" in put and put.endswith(b"\r\n\r\n{}")


def test_a_body_past_the_limit_is_not_read(run: Runner, client: HttpClient) -> None:
    big = b"HTTP/1.1 200 OK\r\nRetry-After: 1\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
    server = Server(lambda c, n: Reply(big if c == 0 else OK))

    async def main() -> None:
        port = await server.start()
        url = f"http://127.0.0.1:{port}/"
        got = await client.request(
            "POST", url, timeout=1.0, body=b"x", answer_headers=("retry-after",), max_body=10
        )
        assert (got.status, got.headers, got.body, got.body_cut) == (
            200,
            {"retry-after": "1"},
            b"",
            True,
        )
        # that connection still held the rest of the body: the next request gets another
        again = await client.request("POST", url, timeout=1.0, body=b"x", max_body=10)
        assert (again.status, again.body, again.body_cut) == (200, b"ok", False)

    run(main())
    assert server.connections == 2


def test_an_interim_answers_headers_are_not_the_answers(run: Runner, client: HttpClient) -> None:
    reply = (
        b"HTTP/1.1 100 Continue\r\nRetry-After: 9\r\n\r\n"
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
    )
    server = Server(lambda c, n: Reply(reply))

    async def main() -> None:
        port = await server.start()
        got = await client.request(
            "GET", f"http://127.0.0.1:{port}/", timeout=1.0, answer_headers=("retry-after",)
        )
        assert (got.status, got.headers, got.body) == (503, {}, b"")

    run(main())


def test_an_answer_head_without_end_is_cut_off(run: Runner, client: HttpClient) -> None:
    endless = b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"a" * 1000 + b"\r\n"
    server = Server(lambda c, n: Reply(endless * (MAX_HEAD // 1000 + 10), close=True))

    async def main() -> None:
        port = await server.start()
        with pytest.raises(HttpClientError, match="answer head over"):
            await client.request("GET", f"http://127.0.0.1:{port}/", timeout=2.0)

    run(main())


def test_a_request_without_an_answer_in_time_is_a_timeout(run: Runner, client: HttpClient) -> None:
    server = Server(lambda c, n: Reply(None))

    async def main() -> None:
        port = await server.start()
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await client.request("GET", f"http://127.0.0.1:{port}/", timeout=0.2)
        assert time.monotonic() - started < 1.0

    run(main())


def test_methods_and_paths_a_request_cannot_have(run: Runner, client: HttpClient) -> None:
    root = parse_target("http://127.0.0.1:9/bot/v1/")
    assert root.joined("/b/messages?x=%2B1").path == b"/bot/v1/b/messages?x=%2B1"
    with pytest.raises(ValueError, match="white space"):
        root.joined("/a b")

    async def main() -> None:
        for method in ("HEAD", "get", "POST /x HTTP/1.1\r\n"):
            with pytest.raises(ValueError, match="is not sent"):
                await client.request(method, root, timeout=1.0)

    run(main())


@pytest.mark.parametrize(
    ("body", "read"),
    [
        (b'{"id": "m1", "n": 2}', {"id": "m1", "n": 2}),
        (b"", {}),
        (b"<html>busy</html>", {}),
        (b'["not", "an", "object"]', {}),
    ],
)
def test_an_answer_is_read_as_a_json_object_or_as_none(body: bytes, read: dict[str, Any]) -> None:
    assert HttpAnswer(200, {}, body).json_object() == read


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2.5", 2.5),
        ("0", 0.0),
        (None, None),
        ("Wed, 21 Oct 2026 07:28:00 GMT", None),  # a date: the caller's own pause
        ("-1", None),
        ("86400", None),  # a day or more is taken for a mistake
        ("nan", None),
    ],
)
def test_retry_after_is_seconds_up_to_a_day(header: str | None, seconds: float | None) -> None:
    headers = {} if header is None else {"retry-after": header}
    assert HttpAnswer(429, headers, b"").retry_after() == seconds
