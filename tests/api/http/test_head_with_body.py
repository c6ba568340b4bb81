"""A response's head and body reach the socket in one write when its length is known; streamed
responses, HEAD answers and 100 Continue still come out right, over real sockets."""

import asyncio
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from uvicorn._types import HTTPResponseBodyEvent, HTTPResponseStartEvent
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from smsgate.api.http.connection import HeadWithBody
from smsgate.api.http.server import HttpServer

WAIT = 3.0


class Socket(asyncio.Transport):
    """The sink under the wrapper: what a socket would be handed, one entry per write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def cycle(method: str = "GET") -> tuple[RequestResponseCycle, Socket]:
    socket = Socket()
    scope = {"type": "http", "method": method, "path": "/", "headers": []}
    made = RequestResponseCycle(
        scope=scope,  # type: ignore[arg-type]  # the fields the response side reads
        transport=socket,
        flow=FlowControl(socket),
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test"),
        access_log=False,
        default_headers=[],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: None,
    )
    made.transport = HeadWithBody(socket, made)
    return made, socket


def start(*headers: tuple[bytes, bytes]) -> HTTPResponseStartEvent:
    return {"type": "http.response.start", "status": 200, "headers": list(headers)}


def body(data: bytes, more: bool = False) -> HTTPResponseBodyEvent:
    return {"type": "http.response.body", "body": data, "more_body": more}


def test_a_response_of_known_length_is_one_write() -> None:
    async def main() -> None:
        made, socket = cycle()
        await made.send(start((b"content-length", b"5")))
        assert socket.writes == []  # held for its body
        await made.send(body(b"hello"))
        assert len(socket.writes) == 1
        assert socket.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
        assert socket.writes[0].endswith(b"\r\n\r\nhello")

    asyncio.run(main())


def test_streamed_and_head_responses_are_not_held() -> None:
    async def main() -> None:
        made, socket = cycle()
        await made.send(start())  # no length: chunked
        assert len(socket.writes) == 1
        await made.send(body(b"a", more=True))
        await made.send(body(b""))
        assert socket.writes[1:] == [b"1\r\na\r\n", b"0\r\n\r\n"]

        made, socket = cycle("HEAD")
        await made.send(start((b"content-length", b"5")))
        assert len(socket.writes) == 1  # a HEAD answer writes no body after it
        await made.send(body(b""))
        assert len(socket.writes) == 1

    asyncio.run(main())


def test_closing_writes_a_held_head_first() -> None:
    async def main() -> None:
        made, socket = cycle()
        await made.send(start((b"content-length", b"5")))
        made.transport.close()  # as uvicorn does when the application fails mid-response
        assert len(socket.writes) == 1 and socket.writes[0].endswith(b"\r\n\r\n")
        assert socket.closed

    asyncio.run(main())


async def text(request: Request) -> Response:
    return PlainTextResponse(f"got {len(await request.body())}")


async def stream(request: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"one ", b"two ", b"three"):
            await asyncio.sleep(0)
            yield part

    return StreamingResponse(parts(), media_type="text/plain")


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    lines = head.lower().split(b"\r\n")
    if head.startswith(b"HTTP/1.1 100"):
        return head, b""
    length = [int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length:")]
    if length:
        return head, await asyncio.wait_for(reader.readexactly(length[0]), WAIT)
    chunks = b""
    while True:
        size = int(await asyncio.wait_for(reader.readuntil(b"\r\n"), WAIT), 16)
        chunk = await asyncio.wait_for(reader.readexactly(size + 2), WAIT)
        if size == 0:
            return head, chunks
        chunks += chunk[:-2]


def test_answers_over_a_kept_alive_connection() -> None:
    async def main() -> None:
        app = Starlette(
            routes=[Route("/", text, methods=["GET", "POST"]), Route("/stream", stream)]
        )
        http = HttpServer(app, "127.0.0.1", 0)
        task = asyncio.create_task(http.serve())
        try:
            while not http.started:
                await asyncio.sleep(0.01)
            reader, writer = await asyncio.open_connection("127.0.0.1", http.port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await read_response(reader))[1] == b"got 0"
            writer.write(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
            assert head.startswith(b"HTTP/1.1 200") and b"content-length: 5" in head
            writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            head, streamed = await read_response(reader)
            assert b"transfer-encoding: chunked" in head and streamed == b"one two three"
            writer.write(
                b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
            )
            head, _ = await read_response(reader)
            assert head.startswith(b"HTTP/1.1 100 Continue")
            writer.write(b"abc")
            head, answer = await read_response(reader)
            assert head.startswith(b"HTTP/1.1 200") and answer == b"got 3"
            writer.close()
        finally:
            http.should_exit = True
            await asyncio.wait_for(task, WAIT)

    asyncio.run(main())
