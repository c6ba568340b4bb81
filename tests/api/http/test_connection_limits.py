"""The HTTP server's limits, with real sockets on loopback: a connection that sends no request
head, or drips one, is closed within http_header_timeout; one idle after a response within
http_keepalive_timeout; an oversize head is answered 431 and closed; past
http_max_connections a new connection is answered 503 and closed."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from smsgate.api.http.server import HttpServer
from smsgate.api.http.settings import HttpSettings

LIMITS = HttpSettings(
    max_connections=3, max_header_bytes=2048, header_timeout=0.3, keepalive_timeout=0.3
)
WAIT = 3.0  # seconds a test waits at most for what must happen well within it
REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


async def hello(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(f"hello {len(body)}")


@asynccontextmanager
async def server(settings: HttpSettings = LIMITS) -> AsyncIterator[int]:
    app = Starlette(routes=[Route("/", hello, methods=["GET", "POST"])])
    http = HttpServer(app, "127.0.0.1", 0, settings)
    task = asyncio.create_task(http.serve())
    while not http.started:
        await asyncio.sleep(0.01)
    try:
        yield http.port
    finally:
        http.should_exit = True
        await asyncio.wait_for(task, WAIT)


async def closed_after(reader: asyncio.StreamReader) -> float:
    """Seconds until the server closes the connection (everything it sent is read)."""
    start = time.monotonic()
    while await asyncio.wait_for(reader.read(65536), WAIT):
        pass
    return time.monotonic() - start


async def response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    body = await asyncio.wait_for(reader.readexactly(length), WAIT)
    return int(head.split(b" ")[1]), body


def test_a_connection_that_sends_nothing_is_closed_within_the_header_timeout() -> None:
    async def main() -> None:
        async with server() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await closed_after(reader) < 1.5
            writer.close()

    asyncio.run(main())


async def cut_after(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
    """Seconds until the server closes a connection on which a request head drips: a header
    byte every 50 ms, 2 s for the whole head."""
    writer.write(b"GET / HTTP/1.1\r\n")
    start = time.monotonic()
    try:
        for _ in range(40):
            writer.write(b"X")
            await writer.drain()
            await asyncio.sleep(0.05)
            if reader.at_eof() or writer.is_closing():
                break
    except ConnectionError:
        pass
    return await closed_after(reader) + (time.monotonic() - start)


# After a request answered on the same connection, the next head starts in a read of its own
# (a head that came whole in one read gets no timer) and the keep-alive timer stops at its first
# byte: the header timer must start there.
@pytest.mark.parametrize("answered_before", [0, 1], ids=["first request", "later request"])
def test_a_dripping_request_head_is_cut(answered_before: int) -> None:
    async def main() -> None:
        async with server() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for n in range(answered_before):
                writer.write(REQUEST)
                assert await response(reader) == (200, f"hello {n}".encode())
            assert await cut_after(reader, writer) < 1.5
            writer.close()

    asyncio.run(main())


def test_an_idle_keep_alive_connection_is_closed_and_a_busy_one_is_not() -> None:
    async def main() -> None:
        async with server() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(3):  # requests closer together than the timeouts keep it open
                writer.write(REQUEST)
                assert await response(reader) == (200, b"hello 0")
                await asyncio.sleep(0.15)
            assert await closed_after(reader) < 1.0
            writer.close()

    asyncio.run(main())


def test_an_oversize_head_is_answered_431_and_closed() -> None:
    async def main() -> None:
        async with server() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n")
            status, body = await response(reader)
            assert status == 431
            assert orjson.loads(body)["error"]["code"] == "headers_too_large"
            assert await closed_after(reader) < 1.0
            writer.close()
            # a body larger than the head's limit, sent in one piece with its head, is fine
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n" + b"b" * 10000
            )
            assert await response(reader) == (200, b"hello 10000")
            writer.close()

    asyncio.run(main())


def test_past_the_connection_limit_a_new_connection_is_refused_with_503() -> None:
    async def main() -> None:
        settings = HttpSettings(max_connections=3, header_timeout=5.0)
        async with server(settings) as port:
            idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            status, body = await response(reader)
            assert status == 503
            assert orjson.loads(body)["error"]["code"] == "too_many_connections"
            assert await closed_after(reader) < 1.0
            writer.close()
            for _, held in idle:
                held.close()
                await held.wait_closed()
            # once the server has seen the closes, a new connection is served
            deadline = time.monotonic() + WAIT
            while True:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(REQUEST)
                answer = await response(reader)
                writer.close()
                if answer[0] != 503 or time.monotonic() > deadline:
                    break
            assert answer == (200, b"hello 0")

    asyncio.run(main())
