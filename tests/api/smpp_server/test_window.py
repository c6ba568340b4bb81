"""The customer window: a client configured as SMSC.ru recommends for bulk (a window of
1,000-2,000, smsc-ru-smpp.txt "Скорость рассылок") gets every submit answered, none refused."""

import asyncio
from pathlib import Path

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
