"""A loopback TCP proxy that can partition: `cut` drops every connection through it and refuses
new ones until `heal`. The fault campaign puts one between each node and PostgreSQL.

It runs its own event loop in a thread, so the bench's own work (polling, starting processes)
never delays a byte through it."""

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, Final, TypeVar

_CHUNK: Final = 65536
T = TypeVar("T")


class PartitionProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.cut_count = 0  # connections dropped by cuts
        self.refused = 0  # connections refused while cut
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._partitioned = False

    def start(self) -> int:
        """Listen on a free loopback port; returns it."""
        self._thread.start()
        self._server = self._call(self._listen())
        return self.port

    async def _listen(self) -> asyncio.Server:
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return server

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=30)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._partitioned:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._links.update((writer, up_writer))
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )
        for end in (writer, up_writer):
            self._links.discard(end)
            end.transport.abort()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(_CHUNK):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            # one side ended: end the other, as a plain TCP path would
            with contextlib.suppress(OSError):
                writer.transport.abort()

    async def _cut(self) -> int:
        self._partitioned = True
        links = list(self._links)
        for writer in links:
            writer.transport.abort()  # a reset, not a polite close: the network went away
        self._links.clear()
        return len(links)

    async def _heal(self) -> None:
        self._partitioned = False

    def cut(self) -> int:
        """Drop every connection and refuse new ones; how many ends were dropped."""
        dropped = self._call(self._cut())
        self.cut_count += dropped
        return dropped

    def heal(self) -> None:
        self._call(self._heal())

    def stop(self) -> None:
        async def close() -> None:
            await self._cut()
            if self._server is not None:
                self._server.close()

        with contextlib.suppress(Exception):
            self._call(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
