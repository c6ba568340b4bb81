"""smpplib, an SMPP client nobody on this team wrote, against smsgate's SMPP stack (simulator)."""

import asyncio
from typing import Any

import pytest

from smsgate.simulator.smsc import SimulatorConfig
from smsgate.smpp.constants import MessageState
from smsgate.smpp.receipt import parse_receipt_text
from smsgate.text import Encoding, encode_message
from tests.conftest import start_simulator
from tests.interop.smpplib_session import LONG_GSM, LONG_UCS2, bind

pytestmark = pytest.mark.interop


def run_client(port: int, texts: list[str]) -> dict[str, Any]:
    """Bind, submit every text (split by our text layer), read the receipts, query, unbind."""
    session = bind(port, timeout=10)
    submitted = session.submit(texts)
    session.read_until(submitted, submitted)
    ids = [r.message_id.decode() for r in session.resps]
    query = session.query(ids[0])
    session.client.unbind()
    session.client.disconnect()
    return {"ids": ids, "receipts": session.receipts, "query": query, "submitted": submitted}


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
