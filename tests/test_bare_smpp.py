"""The bare SMPP server the SMPP front is measured beside answers from the header alone."""

import asyncio

from smsgate.bench.bare_smpp import HEADER, BareSmpp
from smsgate.smpp.constants import CommandId, CommandStatus


def _pdu(command: int, sequence: int, body: bytes = b"") -> bytes:
    return HEADER.pack(16 + len(body), command, 0, sequence) + body


async def _exchange(*pdus: bytes) -> tuple[list[tuple[int, int, int, bytes]], bool]:
    """What the server answers to `pdus` sent in one write, and whether it closed then."""
    server = await asyncio.get_running_loop().create_server(BareSmpp, "127.0.0.1", 0)
    async with server:
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
        writer.write(b"".join(pdus))
        answers = []
        closed = False
        while True:
            try:
                head = await asyncio.wait_for(reader.readexactly(16), 0.5)
            except asyncio.IncompleteReadError:
                closed = True
                break
            except TimeoutError:
                break
            length, command, status, sequence = HEADER.unpack(head)
            answers.append((command, status, sequence, await reader.readexactly(length - 16)))
        writer.close()
        return answers, closed


def test_binds_and_submits_are_answered_at_once_and_unbind_closes() -> None:
    bind = _pdu(CommandId.BIND_TRANSCEIVER, 1, b"bench\0pw\0\0\x34\0\0\0")
    submit = _pdu(CommandId.SUBMIT_SM, 2, b"\0" * 20)
    answers, closed = asyncio.run(_exchange(bind, submit, submit, _pdu(CommandId.UNBIND, 4)))
    assert [(a[0], a[1], a[2]) for a in answers] == [
        (CommandId.BIND_TRANSCEIVER_RESP, CommandStatus.ESME_ROK, 1),
        (CommandId.SUBMIT_SM_RESP, CommandStatus.ESME_ROK, 2),
        (CommandId.SUBMIT_SM_RESP, CommandStatus.ESME_ROK, 2),
        (CommandId.UNBIND_RESP, CommandStatus.ESME_ROK, 4),
    ]
    assert answers[1][3] == b"1\0" and answers[2][3] == b"2\0"  # a message id each
    assert closed


def test_an_unknown_command_gets_a_generic_nack_and_a_bad_length_closes() -> None:
    answers, closed = asyncio.run(_exchange(_pdu(0x0000_0777, 9), HEADER.pack(8, 4, 0, 10)))
    assert answers == [(CommandId.GENERIC_NACK, CommandStatus.ESME_RINVCMDID, 9, b"")]
    assert closed
