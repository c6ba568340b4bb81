"""What one hostile peer may cost an SMPP connection, over real sockets on loopback: back-pressure
when it never reads, the request rate, the time to bind, and the log lines its bad PDUs cause."""

import asyncio
import contextlib
import functools
import logging
import re
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from smsgate.smpp import codec
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import BindTransceiver, EnquireLink, Request
from smsgate.smpp.session import Role, SessionConfig
from smsgate.transport.connection_limits import ConnectionLimits
from smsgate.transport.smpp_connection import SmppConnection

S = CommandStatus
TIMEOUT = 5.0


def in_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def enquire_links(count: int, first: int = 1) -> bytes:
    return b"".join(codec.encode(EnquireLink(sequence_number=first + i)) for i in range(count))


def answer_binds(connection: SmppConnection, pdu: Request) -> None:
    connection.send(pdu.response(0 if isinstance(pdu, BindTransceiver) else S.ESME_RINVCMDID))


@contextlib.asynccontextmanager
async def smsc(limits: ConnectionLimits) -> AsyncIterator[tuple[int, list[SmppConnection]]]:
    """A bare SMSC-side listener; yields its port and the connections it made."""
    connections: list[SmppConnection] = []
    config = SessionConfig(enquire_link_interval=None, peer_window=100)

    def make() -> SmppConnection:
        connection = SmppConnection(Role.SMSC, answer_binds, config, limits=limits)
        connections.append(connection)
        return connection

    server = await asyncio.get_running_loop().create_server(make, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], connections
    finally:
        for connection in connections:
            connection.close()
        server.close()
        await server.wait_closed()


async def read_pdus(reader: asyncio.StreamReader, count: int) -> list[codec.Pdu]:
    pdus = []
    for _ in range(count):
        header = await asyncio.wait_for(reader.readexactly(16), TIMEOUT)
        (length,) = struct.unpack(">I", header[:4])
        pdus.append(codec.decode(header + await reader.readexactly(length - 16)))
    return pdus


@in_loop
async def test_a_peer_that_never_reads_stops_the_connection_reading() -> None:
    limits = ConnectionLimits(write_high=64 * 1024, write_low=16 * 1024)
    async with smsc(limits) as (port, connections):
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # it reads nothing anyway
        client.connect(("127.0.0.1", port))
        client.setblocking(False)
        chunk = enquire_links(4096)  # 64 KiB, each answered by a 16-byte enquire_link_resp
        written, cap, blocked_since = 0, 64 * 1024 * 1024, None
        deadline = time.monotonic() + TIMEOUT
        # write until the gateway stops taking more (blocked for 0.3 s) or the cap is reached
        while written < cap and time.monotonic() < deadline:
            try:
                written += client.send(chunk)
                blocked_since = None
            except BlockingIOError:
                blocked_since = blocked_since or time.monotonic()
                if time.monotonic() - blocked_since > 0.3:
                    break
            await asyncio.sleep(0)
        (connection,) = connections
        assert written < cap, "the gateway kept reading from a peer that reads nothing"
        assert connection.reading_paused
        held = connection.buffered_bytes
        # what the gateway holds for the peer: about the high-water mark plus one read's answers
        assert held < limits.write_high + 512 * 1024, held
        client.close()


@in_loop
async def test_reading_resumes_once_the_peer_reads_and_nothing_is_lost() -> None:
    limits = ConnectionLimits(write_high=16 * 1024, write_low=4 * 1024)
    async with smsc(limits) as (port, connections):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        count = 200_000  # 3.2 MB of answers: more than the kernel's buffers hold
        writer.write(enquire_links(count))
        await asyncio.sleep(0.3)  # not read meanwhile
        data = await asyncio.wait_for(reader.readexactly(16 * count), TIMEOUT)
        headers = [struct.unpack_from(">IIII", data, 16 * i) for i in range(count)]
        assert [h[3] for h in headers] == list(range(1, count + 1))  # every one answered
        assert all(h[2] == 0 for h in headers)
        await asyncio.sleep(0.05)
        assert connections[0].pauses >= 1
        assert not connections[0].reading_paused
        writer.close()


@in_loop
async def test_requests_past_the_rate_are_throttled_and_a_flood_is_closed() -> None:
    limits = ConnectionLimits(unbound_pdu_rate=5.0, pdu_rate=1000.0, flood_close=50)
    async with smsc(limits) as (port, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(enquire_links(20))
        answers = await read_pdus(reader, 20)
        statuses = [a.command_status for a in answers]
        assert statuses[:5] == [0] * 5  # one second's burst
        assert statuses.count(S.ESME_RTHROTTLED) >= 14
        # the client keeps going regardless: disconnected once 50 were throttled
        writer.write(enquire_links(200, first=21))
        with contextlib.suppress(ConnectionError):
            rest = await asyncio.wait_for(reader.read(), TIMEOUT)  # until EOF
            assert len(rest) < 200 * 16
        writer.close()


@in_loop
async def test_a_bind_gets_the_bound_rate() -> None:
    limits = ConnectionLimits(unbound_pdu_rate=2.0, pdu_rate=1000.0)
    async with smsc(limits) as (port, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(codec.encode(BindTransceiver(system_id="a", password="b", sequence_number=1)))
        (bound,) = await read_pdus(reader, 1)
        assert bound.command_status == 0
        writer.write(enquire_links(100, first=2))
        answers = await read_pdus(reader, 100)
        assert all(a.command_status == 0 for a in answers)
        writer.close()


@in_loop
async def test_a_connection_that_does_not_bind_in_time_is_closed() -> None:
    async with smsc(ConnectionLimits(bind_timeout=0.2)) as (port, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(enquire_links(1))
        await read_pdus(reader, 1)
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # closed by the gateway
        writer.close()


@in_loop
async def test_bad_pdus_are_logged_as_counts_not_a_line_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unknown = struct.pack(">IIII", 16, 0x00000077, 0, 1)  # an unknown command_id
    count = 10_000
    caplog.set_level(logging.WARNING, logger="smsgate.transport.smpp_connection")
    async with smsc(ConnectionLimits()) as (port, connections):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(unknown * count)
        answers = await read_pdus(reader, count)
        assert all(a.command_status == S.ESME_RINVCMDID for a in answers)
        writer.close()
        await asyncio.wait_for(connections[0].closed, TIMEOUT)
    lines = [r.getMessage() for r in caplog.records if "bad PDU" in r.getMessage()]
    assert 1 <= len(lines) <= 5, lines
    # the first is logged at once, the rest as how many more
    more = sum(int(m.group(1)) for line in lines if (m := re.search(r": (\d+) more", line)))
    assert more + 1 == count
