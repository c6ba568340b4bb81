"""A scripted SMSC on a real socket, for what the simulator does not do on purpose: keep quiet,
and show exactly which PDUs arrived on the wire."""

import asyncio
import contextlib
from dataclasses import dataclass, field

from smsgate.smpp import codec
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import Bind, EnquireLink, Pdu, Request, SubmitSm, Unbind


@dataclass
class ScriptedSmsc:
    answer_enquire_link: bool = True
    answer_submits: bool = True
    refuse_binds: bool = False
    submit_delay: float = 0.0  # seconds before a submit_sm is answered
    answer_together: int = 0  # hold submit_sm answers until this many, then write them at once
    received: list[Pdu] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    def __post_init__(self) -> None:
        self.arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    def count(self, kind: type[Pdu]) -> int:
        return sum(isinstance(pdu, kind) for pdu in self.received)

    async def wait_for(self, kind: type[Pdu], count: int = 1, timeout: float = 10.0) -> None:
        async def enough() -> None:
            while self.count(kind) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        held: list[bytes] = []
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                header = await reader.readexactly(4)
                body = await reader.readexactly(int.from_bytes(header, "big") - 4)
                pdu = codec.decode(header + body)
                self.received.append(pdu)
                self.arrived.set()
                reply = self._reply(pdu)
                if reply is None:
                    pass
                elif isinstance(pdu, SubmitSm) and self.answer_together:
                    held.append(codec.encode(reply))
                    if len(held) == self.answer_together:
                        writer.write(b"".join(held))
                        held.clear()
                elif isinstance(pdu, SubmitSm) and self.submit_delay > 0:
                    loop = asyncio.get_running_loop()
                    loop.call_later(self.submit_delay, _write, writer, codec.encode(reply))
                else:
                    writer.write(codec.encode(reply))
                if isinstance(pdu, Unbind):
                    break
        writer.close()

    def _reply(self, pdu: Pdu) -> Pdu | None:
        if isinstance(pdu, Bind):
            if self.refuse_binds:
                return pdu.response(CommandStatus.ESME_RINVPASWD)
            return pdu.response(0, system_id="scripted")
        if isinstance(pdu, EnquireLink) and not self.answer_enquire_link:
            return None
        if isinstance(pdu, SubmitSm):
            if not self.answer_submits:
                return None
            return pdu.response(0, message_id=f"s{pdu.sequence_number}")
        if isinstance(pdu, Request) and pdu.response_class is not None:
            return pdu.response()
        return None


def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
    if not writer.is_closing():
        writer.write(data)
