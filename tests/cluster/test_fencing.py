"""A node cut off from PostgreSQL (its connections go through a TCP relay that the test cuts):
it fences itself (bind stopped, queue dropped, not ready) before its lease expires, the other
node takes the bind, and once the database answers again the first registers anew and is
ready, the bind staying with the node that took it."""

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from smsgate.domain.ids import new_id
from smsgate.engine.cluster import NodeState
from smsgate.store import BalanceChange, StoreFencedError
from smsgate.store.postgres import PostgresStore
from tests.cluster.rig import CONNECTOR, carrier, eventually, node, prepare, send
from tests.cluster.test_nodes import eventually_delivered
from tests.store.backends import store_backend

TTL = 1.5
TIMEOUT = 30.0


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with store_backend("postgres", tmp_path) as backend:
        yield backend.url


class Relay:
    """Forwards TCP connections to the database until cut: then every connection through it
    is closed and new ones are closed at once, until it is healed."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.cut = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.sever()
        if self._server is not None:
            self._server.close()

    def sever(self) -> None:
        self.cut = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit(
        parts._replace(netloc=f"{user}@127.0.0.1:{port}" if user else f"127.0.0.1:{port}")
    )


def test_a_node_cut_off_from_the_database_fences_itself_and_rejoins(url: str) -> None:
    async def main() -> None:
        account = await prepare(url)
        target = urlsplit(url)
        relay = Relay(target.hostname or "127.0.0.1", target.port or 5432)
        await relay.start()
        try:
            async with (
                asyncio.timeout(TIMEOUT),
                carrier() as sim,
                node(_through(url, relay.port), "core-cut", sim.config.port, TTL) as a,
            ):
                await eventually(lambda: a.connectors[CONNECTOR].is_up, TTL)
                async with node(url, "core-other", sim.config.port, TTL) as b:
                    relay.sever()
                    fenced = await eventually(lambda: a.node.state is NodeState.FENCED, 2 * TTL)
                    assert not a.node.ready and a.node.held == set()
                    assert not a.connectors[CONNECTOR].is_up
                    await eventually(lambda: b.node.held == {CONNECTOR}, 2 * TTL)
                    await eventually(lambda: b.connectors[CONNECTOR].is_up, TTL)
                    assert sim.most_bound == 1, "the cut node unbound before the other bound"
                    assert a.node.counters.fenced == 1 and a.store.fenced
                    sent = [await send(b, account, f"meanwhile {i}") for i in range(3)]
                    await eventually_delivered(b, [m.id for m in sent])
                    relay.cut = False  # the database answers again
                    await eventually(lambda: a.node.state is NodeState.READY, 3 * TTL)
                    assert a.node.held == set() and a.node.remote == {CONNECTOR: "core-other"}
                    assert not a.store.fenced
                    print(f"fenced {fenced:.2f} s after the cut")
        finally:
            await relay.stop()

    asyncio.run(main())


def test_a_fenced_store_refuses_writes_until_unfenced(url: str) -> None:
    async def main() -> None:
        top_up = [BalanceChange(new_id(), 1_000_000, 0.0)]
        async with asyncio.timeout(TIMEOUT), PostgresStore(url, node_id="core-fence") as store:
            store.fence()
            with pytest.raises(StoreFencedError):
                await store.write(top_up)
            store.unfence()
            await store.write(top_up)

    asyncio.run(main())
