"""A simulator's HTTP server, started and stopped the same way by every simulator.

server = SimulatorServer("the RCS simulator")
port = await server.start(app, "127.0.0.1", 0)   # once listening; 0 picks a free port
await server.stop()                              # ends the serving task; again is a no-op
"""

import asyncio
from collections.abc import Iterable
from typing import Final

from starlette.applications import Starlette

from smsgate.api.http.server import HttpServer

_POLL: Final = 0.01  # seconds between looks at whether the server listens


class SimulatorServer:
    def __init__(self, name: str) -> None:
        self._name = name  # in the error when it does not start
        self._server: HttpServer | None = None
        self._serving: asyncio.Task[None] | None = None

    async def start(self, app: Starlette, host: str, port: int) -> int:
        """Serve `app` on host:port; returns the port once listening. What stopped the
        server before it listened (the port taken, ...) is raised."""
        if self._serving is not None:
            raise RuntimeError(f"{self._name} is already serving")
        self._server = server = HttpServer(app, host, port)
        self._serving = serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                self._server = self._serving = None
                await serving
                raise RuntimeError(f"{self._name} did not start")
            await asyncio.sleep(_POLL)
        return server.port

    async def stop(self) -> None:
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
            self._server = self._serving = None


async def cancel_all(tasks: Iterable["asyncio.Task[None]"]) -> None:
    """Cancel a simulator's pending work (messages on their way) and wait until it is done."""
    pending = list(tasks)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


__all__ = ["SimulatorServer", "cancel_all"]
