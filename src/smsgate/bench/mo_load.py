"""The MO side of `smsgate bench kannel`: a carrier that sends mobile-originated deliver_sm as
fast as a bind's window lets it, and a lean HTTP receiver counting what a gateway posts (or
GETs) on to the customer.

Both run in the benchmark's own process, so their CPU is not counted as either gateway's. The
carrier is the project's simulated SMSC (`SmscSimulator`); only the burst of MO is driven from
here, since `smsgate simulator` generates MO one per interval.
"""

import asyncio
import time
from dataclasses import dataclass
from typing import cast

from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator, mo_parts
from smsgate.smpp.session import SessionConfig

MO_DESTINATION = "81312345678"  # the number the customer owns
MAX_HEAD = 16 * 1024  # a request's line and headers: more is not a gateway talking
_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class _Exchange(asyncio.Protocol):
    """One HTTP/1.1 connection: every request answered 200 at once, kept alive."""

    def __init__(self, receiver: "MoReceiver") -> None:
        self.receiver = receiver
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they have its methods
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in bytes(self.buffer[:end]).split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return  # the body is still coming
            del self.buffer[: end + 4 + length]
            assert self.transport is not None
            self.transport.write(_OK)
            self.receiver.arrived()
        if len(self.buffer) > MAX_HEAD:
            assert self.transport is not None
            self.transport.close()


class MoReceiver:
    """The customer's web server for MO: counts requests; `wait_for` waits for a total."""

    def __init__(self) -> None:
        self.count = 0
        self.last_at = 0.0
        self._changed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    def arrived(self) -> None:
        self.count += 1
        self.last_at = time.perf_counter()
        self._changed.set()

    async def start(self) -> str:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Exchange(self), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}/mo"

    async def wait_for(self, total: int, timeout: float) -> bool:
        """Until `total` requests arrived in all; False if `timeout` seconds passed first."""
        try:
            async with asyncio.timeout(timeout):
                while self.count < total:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def mo_carrier(password: str, window: int) -> SmscSimulator:
    """The simulated carrier a gateway binds to as system_id "smsgate"."""
    return SmscSimulator(
        SimulatorConfig(
            port=0,
            accounts={"smsgate": password},
            session=SessionConfig(
                window=window, enquire_link_interval=None, inactivity_timeout=300
            ),
        )
    )


async def wait_bound(carrier: SmscSimulator, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not any(
            c.is_open and c.session.is_bound for c in carrier.receivers.get("smsgate", ())
        ):
            await asyncio.sleep(0.05)  # the gateway is connecting


@dataclass(frozen=True)
class MoBurst:
    sent: int
    accepted: int  # deliver_sm_resp ESME_ROK
    seconds: float  # first deliver_sm to the last deliver_sm_resp


async def send_burst(
    carrier: SmscSimulator, first: int, count: int, window: int, timeout: float
) -> MoBurst:
    """MO numbered `first`.. `first + count - 1`, at most `window` unanswered at a time."""
    numbers = iter(range(first, first + count))
    accepted = 0

    async def worker() -> None:
        nonlocal accepted
        for i in numbers:
            deliver = mo_parts(
                f"8190{i % 100_000_000:08d}", MO_DESTINATION, f"Reply {i}".encode(), 0
            )[0]
            response = await carrier.send_deliver("smsgate", deliver, timeout=timeout)
            accepted += response.command_status == 0

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(window)))
    return MoBurst(count, accepted, time.perf_counter() - started)
