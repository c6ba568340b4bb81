"""The bare SMPP server `smsgate bench smpp --reference` measures the gateway beside: it answers
every bind and submit_sm at once, out of the header alone, and stores, checks and forwards
nothing. No SMPP server can take a client's submits faster on the same loop and sockets, so
its rate is the ceiling the gateway's SMPP front is read against.

`python -m smsgate.bench.bare_smpp [PORT]` (0 or none: a free port) prints its address and
serves until SIGINT or SIGTERM.
"""

import asyncio
import signal
import struct
import sys
from itertools import count
from typing import Final, cast

from smsgate.runtime import run_async
from smsgate.smpp.codec import DEFAULT_MAX_PDU_SIZE
from smsgate.smpp.constants import HEADER_SIZE, RESPONSE_BIT, CommandId, CommandStatus

HEADER: Final = struct.Struct(">IIII")
_BINDS: Final = {CommandId.BIND_TRANSCEIVER, CommandId.BIND_TRANSMITTER, CommandId.BIND_RECEIVER}
_EMPTY: Final = {CommandId.ENQUIRE_LINK, CommandId.UNBIND}


class BareSmpp(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.ids = count(1)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        buffer = self.buffer
        buffer += data
        out = bytearray()
        start = 0
        closing = False
        while len(buffer) - start >= HEADER_SIZE:
            length, command, _, sequence = HEADER.unpack_from(buffer, start)
            if not HEADER_SIZE <= length <= DEFAULT_MAX_PDU_SIZE:
                closing = True  # the stream cannot be framed any further
                break
            if len(buffer) - start < length:
                break
            start += length
            status = CommandStatus.ESME_ROK
            if command == CommandId.SUBMIT_SM:
                body = b"%x\0" % next(self.ids)
            elif command in _BINDS:
                body = b"bare\0"
            elif command in _EMPTY:
                body = b""
                closing = command == CommandId.UNBIND
            elif command & RESPONSE_BIT:
                continue  # the client's answer to nothing this server sent
            else:
                command, status, body = CommandId.GENERIC_NACK, CommandStatus.ESME_RINVCMDID, b""
            out += HEADER.pack(HEADER_SIZE + len(body), command | RESPONSE_BIT, status, sequence)
            out += body
        del buffer[:start]
        if out:
            self.transport.write(out)
        if closing:
            self.transport.close()


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(BareSmpp, "127.0.0.1", port)
    stopped = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    address = server.sockets[0].getsockname()
    print(f"bare SMPP server on {address[0]}:{address[1]} (Ctrl-C stops it)", flush=True)
    async with server:
        await stopped.wait()


def main(argv: list[str]) -> int:
    run_async(serve(int(argv[0]) if argv else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
