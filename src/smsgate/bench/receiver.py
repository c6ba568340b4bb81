"""A callback receiver on loopback that records what it gets and answers as told: for the
callback benchmark (`smsgate bench callbacks`) and the tests."""

import asyncio
import time
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.api.http.server import HttpServer


@dataclass(frozen=True, slots=True)
class Received:
    at: float  # time.monotonic()
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class CallbackReceiver:
    status: int = 200  # the answer; change it at any time (503: "down for a while")
    delay: float = 0.0  # seconds before answering
    keep: bool = True  # record every request (False: count only)
    received: list[Received] = field(default_factory=list)
    count: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _server: HttpServer | None = None
    _task: "asyncio.Task[None] | None" = None

    async def _endpoint(self, request: Request) -> Response:
        try:
            body = await request.body()
        except ClientDisconnect:  # the sender gave up (its timeout): nothing to answer
            return Response(status_code=499)
        self.count += 1
        if self.keep:
            self.received.append(
                Received(time.monotonic(), request.url.path, dict(request.headers), body)
            )
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return Response(status_code=self.status)

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1; returns the base URL."""
        app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=["POST"])])
        self._server = HttpServer(app, "127.0.0.1", port)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("the callback receiver did not start")
            await asyncio.sleep(0.01)
        return f"http://127.0.0.1:{self._server.port}"

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    async def wait_for(self, count: int, timeout: float) -> None:
        """Until `count` requests arrived in all."""
        async with asyncio.timeout(timeout):
            while self.count < count:
                self.arrived.clear()
                await self.arrived.wait()
