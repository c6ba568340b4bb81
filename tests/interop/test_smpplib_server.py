"""smpplib, an SMPP client nobody on this team wrote, as a customer of smsgate's SMPP server:
bind, single / long GSM / long UCS-2 submits, receipts with their TLVs, query_sm, unbind."""

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
import smpplib.client
import smpplib.consts

from smsgate.smpp.constants import MessageState
from smsgate.smpp.receipt import parse_receipt_text
from smsgate.text import Encoding, encode_message
from tests.api.harness import running_gateway
from tests.api.smpp_server.customers import add_smpp_account, smpp_port
from tests.store.backends import BACKENDS, store_backend

pytestmark = pytest.mark.interop

LONG_GSM = "Long GSM message with an escape € and {braces}. " * 5  # > 160 septets
LONG_UCS2 = "日本語のメッセージです。長いので分割されます。" * 4  # > 70 UCS-2 units
TEXTS = ["Hello from smpplib", LONG_GSM, LONG_UCS2]


def run_client(port: int) -> dict[str, Any]:
    """Bind, submit every text split by smpplib's own splitter, read receipts, query, unbind."""
    client = smpplib.client.Client("127.0.0.1", port, timeout=20, allow_unknown_opt_params=True)
    receipts: list[Any] = []
    client.set_message_received_handler(lambda pdu: receipts.append(pdu))  # noqa: PLW0108 (called with pdu=)
    resps: list[Any] = []
    client.set_message_sent_handler(lambda pdu: resps.append(pdu))  # noqa: PLW0108
    client.connect()
    assert client._socket is not None
    client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.bind_transceiver(system_id="smpplib", password="secret")
    submitted = 0
    for number, text in enumerate(TEXTS):
        encoding = Encoding.UCS2 if text is LONG_UCS2 else None
        message = encode_message(text, reference=number + 7, encoding=encoding)
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
    while len(resps) < submitted or len(receipts) < len(TEXTS):
        client.read_once()
    first_id = resps[0].message_id.decode()
    client.query_message(
        message_id=first_id,
        source_addr_ton=smpplib.consts.SMPP_TON_INTL,
        source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
        source_addr="447700900123",
    )
    query = client.read_pdu()
    unbind = client.unbind()
    closed = client._socket.recv(1) == b""  # the server closes after unbind_resp
    client.disconnect()
    return {
        "resps": resps,
        "receipts": receipts,
        "query": query,
        "unbind": unbind,
        "closed": closed,
    }


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_smpplib_customer_sends_and_gets_receipts(backend_name: str, tmp_path: Path) -> None:
    async def scenario(url: str) -> dict[str, Any]:
        async with running_gateway(url) as gw:
            await add_smpp_account(gw.app, "smpplib")
            return await asyncio.to_thread(run_client, smpp_port(gw.app))

    with store_backend(backend_name, tmp_path) as backend:
        result = asyncio.run(scenario(backend.url))
    resps = result["resps"]
    assert all(r.status == 0 for r in resps)
    ids = [r.message_id.decode() for r in resps]
    # one id per message: the single, then the same id for both parts of each long message
    assert len(ids) == 5 and ids[1] == ids[2] and ids[3] == ids[4]
    assert len({ids[0], ids[1], ids[3]}) == 3
    by_id = {}
    for pdu in result["receipts"]:
        assert pdu.esm_class & 0x3C == 0x04  # SMSC delivery receipt
        receipted = pdu.receipted_message_id.decode()
        assert int(pdu.message_state) == MessageState.DELIVERED
        parsed = parse_receipt_text(pdu.short_message.decode())
        assert parsed.message_id == receipted and parsed.state is MessageState.DELIVERED
        by_id[receipted] = pdu
    assert set(by_id) == {ids[0], ids[1], ids[3]}
    query = result["query"]
    assert query.command == "query_sm_resp" and query.status == 0
    assert int(query.message_state) == MessageState.DELIVERED
    assert result["unbind"].command == "unbind_resp" and result["closed"]
