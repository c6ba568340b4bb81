"""smpplib, an SMPP client nobody on this team wrote, against smsgate's SMPP stack (simulator)."""

import asyncio
import socket
from typing import Any

import pytest
import smpplib.client
import smpplib.consts
import smpplib.gsm

from smsgate.simulator.smsc import SimulatorConfig
from smsgate.smpp.constants import MessageState
from smsgate.smpp.receipt import parse_receipt_text
from smsgate.text import Encoding, encode_message
from tests.conftest import start_simulator

pytestmark = pytest.mark.interop

LONG_GSM = "Long GSM message with an escape € and {braces}. " * 5  # > 160 septets
LONG_UCS2 = "日本語のメッセージです。長いので分割されます。" * 4  # > 70 UCS-2 units


def run_client(port: int, texts: list[str]) -> dict[str, Any]:
    """Bind, submit every text (split by our text layer), read the receipts, query, unbind."""
    client = smpplib.client.Client("127.0.0.1", port, timeout=10, allow_unknown_opt_params=True)
    receipts: list[Any] = []
    client.set_message_received_handler(lambda pdu: receipts.append(pdu))  # noqa: PLW0108 (called with pdu=)
    ids: list[str] = []
    client.set_message_sent_handler(lambda pdu: ids.append(pdu.message_id.decode()))
    client.connect()
    assert client._socket is not None
    client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.bind_transceiver(system_id="smpplib", password="secret")
    submitted = 0
    for number, text in enumerate(texts):
        message = encode_message(text, reference=number)
        for part in message.parts:
            client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_INTL,
                source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                source_addr="447700900123",
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                destination_addr="819012345678",
                short_message=part.short_message,
                data_coding=message.data_coding,
                esm_class=part.esm_class,
                registered_delivery=1,
            )
            submitted += 1
    while len(ids) < submitted or len(receipts) < submitted:
        client.read_once()
    client.query_message(
        message_id=ids[0],
        source_addr_ton=smpplib.consts.SMPP_TON_INTL,
        source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
        source_addr="447700900123",
    )
    query = client.read_pdu()
    client.unbind()
    client.disconnect()
    return {"ids": ids, "receipts": receipts, "query": query, "submitted": submitted}


def test_smpplib_binds_submits_and_gets_receipts() -> None:
    async def scenario() -> dict[str, Any]:
        simulator = await start_simulator(
            SimulatorConfig(accounts={"smpplib": "secret"}, receipt_delay=0.01)
        )
        try:
            texts = ["Hello from smpplib", LONG_GSM, LONG_UCS2]
            return await asyncio.to_thread(run_client, simulator.config.port, texts)
        finally:
            await simulator.stop()

    result = asyncio.run(scenario())
    expected_parts = (
        1
        + len(encode_message(LONG_GSM, reference=0).parts)
        + len(encode_message(LONG_UCS2, reference=0, encoding=Encoding.UCS2).parts)
    )
    assert result["submitted"] == expected_parts == 5  # one single, two long of two parts
    assert len(set(result["ids"])) == expected_parts
    by_id = {}
    for pdu in result["receipts"]:
        assert pdu.esm_class & 0x3C == 0x04  # SMSC delivery receipt
        receipted = pdu.receipted_message_id.decode()
        assert int(pdu.message_state) == MessageState.DELIVERED
        parsed = parse_receipt_text(pdu.short_message.decode())
        assert parsed.message_id == receipted and parsed.state is MessageState.DELIVERED
        by_id[receipted] = pdu
    assert set(by_id) == set(result["ids"])
    query = result["query"]
    assert query.command == "query_sm_resp" and query.status == 0
    assert int(query.message_state) == MessageState.DELIVERED
