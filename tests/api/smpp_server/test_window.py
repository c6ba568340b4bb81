"""The customer window: a client configured as SMSC.ru recommends for bulk (a window of
1,000-2,000, smsc-ru-smpp.txt "Скорость рассылок") gets every submit answered, none refused."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from smsgate.api.smpp_server.submit import HANDOVER
from smsgate.domain.account import Account
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway
from smsgate.smpp import codec
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import BindTransceiver
from tests.api.harness import running_gateway
from tests.api.smpp_server.customers import TIMEOUT, add_smpp_account, smpp_port, submit

OUTSTANDING = 1000


async def read_pdu(reader: asyncio.StreamReader) -> codec.Pdu:
    header = await asyncio.wait_for(reader.readexactly(16), TIMEOUT)
    body = await asyncio.wait_for(
        reader.readexactly(int.from_bytes(header[:4], "big") - 16), TIMEOUT
    )
    return codec.decode(header + body)


def test_a_thousand_outstanding_submits_get_no_msgqful(tmp_path: Path) -> None:
    async def main() -> list[int]:
        async with running_gateway(str(tmp_path / "gw.db")) as gw:
            await add_smpp_account(gw.app, "bulk")
            reader, writer = await asyncio.open_connection("127.0.0.1", smpp_port(gw.app))
            try:
                writer.write(codec.encode(BindTransceiver(1, system_id="bulk", password="secret")))
                bound = await read_pdu(reader)
                assert bound.command_status == 0
                # every submit in one write: all of them are unanswered when the server reads them
                writer.write(
                    b"".join(
                        codec.encode(submit(f"bulk {n}", sequence_number=n + 2))
                        for n in range(OUTSTANDING)
                    )
                )
                await writer.drain()
                return [(await read_pdu(reader)).command_status for _ in range(OUTSTANDING)]
            finally:
                writer.close()

    statuses = asyncio.run(main())
    assert CommandStatus.ESME_RMSGQFUL not in statuses
    assert statuses == [0] * OUTSTANDING


def test_a_window_read_at_once_is_accepted_in_hand_overs_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    texts: list[str] = []
    accept = Gateway.accept

    async def recorded(
        self: Gateway, account: Account, commands: list[SendCommand], *rest: Any
    ) -> Any:
        sizes.append(len(commands))
        texts.extend(command.text for command in commands)
        return await accept(self, account, commands, *rest)

    monkeypatch.setattr(Gateway, "accept", recorded)
    count = 2 * HANDOVER + 20

    async def main() -> list[codec.Pdu]:
        async with running_gateway(str(tmp_path / "gw.db")) as gw:
            await add_smpp_account(gw.app, "bulk")
            reader, writer = await asyncio.open_connection("127.0.0.1", smpp_port(gw.app))
            try:
                writer.write(codec.encode(BindTransceiver(1, system_id="bulk", password="secret")))
                assert (await read_pdu(reader)).command_status == 0
                writer.write(
                    b"".join(
                        codec.encode(submit(f"bulk {n}", sequence_number=n + 2))
                        for n in range(count)
                    )
                )
                await writer.drain()
                return [await read_pdu(reader) for _ in range(count)]
            finally:
                writer.close()

    answers = asyncio.run(main())
    assert sizes == [HANDOVER, HANDOVER, 20]
    assert texts == [f"bulk {n}" for n in range(count)]
    assert [a.command_status for a in answers] == [0] * count
    # each hand-over is answered together, in the order the submits came
    assert [a.sequence_number for a in answers] == [n + 2 for n in range(count)]
