"""smpplib, an SMPP client nobody on this team wrote, as a customer of smsgate's SMPP server:
bind, single / long GSM / long UCS-2 submits, receipts with their TLVs, query_sm, unbind."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from smsgate.smpp.constants import MessageState
from smsgate.smpp.receipt import parse_receipt_text
from tests.api.harness import running_gateway
from tests.api.smpp_server.customers import add_smpp_account, smpp_port
from tests.interop.smpplib_session import LONG_GSM, LONG_UCS2, bind
from tests.store.backends import BACKENDS, store_backend

pytestmark = pytest.mark.interop

TEXTS = ["Hello from smpplib", LONG_GSM, LONG_UCS2]


def run_client(port: int) -> dict[str, Any]:
    """Bind, submit every text split by smsgate's text layer, read receipts, query, unbind."""
    session = bind(port, timeout=20)
    submitted = session.submit(TEXTS)
    session.read_until(submitted, len(TEXTS))
    query = session.query(session.resps[0].message_id.decode())
    client = session.client
    unbind = client.unbind()
    closed = client._socket.recv(1) == b""  # the server closes after unbind_resp
    client.disconnect()
    return {
        "resps": session.resps,
        "receipts": session.receipts,
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
    # a stored part is answered before the part that completes its message (answered once
    # the whole message committed): in submit order by sequence number
    resps = sorted(result["resps"], key=lambda r: r.sequence)
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
