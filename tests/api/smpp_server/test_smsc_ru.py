"""What SMSC.ru's SMPP document asks of the server: decimal message ids its receipt regex
reads, MCON1 to MCON9 only, what data_coding 0 means per account, and query_sm's error for a
failed message; over real SMPP to a running gateway, on both store backends."""

import re
from dataclasses import replace
from typing import Any

import pytest

from smsgate.api.smpp_server.ids import engine_id
from smsgate.domain.errors import CATALOG
from smsgate.domain.status import Status
from smsgate.smpp.constants import CommandStatus, MessageState
from smsgate.smpp.pdu import QuerySm, SubmitSmResp
from smsgate.smpp.tlv import Tag
from smsgate.transport.smpp_connection import SmppRequestError
from tests.api.harness import Running
from tests.api.smpp_server.customers import REFUSED, Customer, run_with_alice, submit
from tests.store.backends import StoreBackend

S = CommandStatus
# the document's parsing example: preg_match("/^id:(\d+) stat:(\w+) err:(\d+) imsi:..."), its id
DOCUMENT_ID = re.compile(r"^id:(\d+) ")
DOCUMENT_RECEIPT = (
    "id:854019 sub:001 dlvrd:001 submit date:1108202241 done date:1108202241 stat:DELIVRD err:000"
)


async def submitted(customer: Customer, text: str, **fields: Any) -> str:
    assert customer.connection is not None
    answer = await customer.connection.call(submit(text, **fields))
    assert isinstance(answer, SubmitSmResp)
    return answer.message_id


def test_decimal_ids_agree_in_resp_receipt_and_query(backend: StoreBackend) -> None:
    match = DOCUMENT_ID.match(DOCUMENT_RECEIPT)
    assert match is not None and match.group(1) == "854019"

    async def scenario(gw: Running, port: int) -> None:
        customer = Customer()
        connection = await customer.bind(port, "alice")
        shown = await submitted(customer, "Hello")
        assert shown.isdigit() and len(shown) <= 39
        (receipt,) = await customer.wait_delivered(1)
        text = receipt.short_message.decode()
        found = DOCUMENT_ID.match(text)
        assert found is not None and found.group(1) == shown, text
        assert receipt.tlvs[Tag.RECEIPTED_MESSAGE_ID] == shown
        query = await connection.call(QuerySm(message_id=shown))
        assert query.message_id == shown and query.message_state == MessageState.DELIVERED
        assert gw.app.gateway is not None
        stored = engine_id(shown)
        assert stored in gw.app.gateway.live and int(stored, 16) == int(shown)
        await connection.unbind_and_close()

    run_with_alice(backend, scenario)


def test_hex_ids_when_configured(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        customer = Customer()
        connection = await customer.bind(port, "alice")
        shown = await submitted(customer, "Hello")
        assert len(shown) == 32 and int(shown, 16) >= 0
        (receipt,) = await customer.wait_delivered(1)
        assert receipt.tlvs[Tag.RECEIPTED_MESSAGE_ID] == shown
        assert receipt.short_message.decode().startswith(f"id:{shown} ")
        query = await connection.call(QuerySm(message_id=shown))
        assert query.message_state == MessageState.DELIVERED
        await connection.unbind_and_close()

    run_with_alice(backend, scenario, smpp_message_ids="hex")


def test_mcon_outside_one_to_nine_is_refused_at_bind(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        for system_type in ("MCON0", "MCON10", "ISO,MCON0"):
            with pytest.raises(SmppRequestError) as refused:
                await Customer().bind(port, "alice", system_type=system_type)
            assert refused.value.response is not None
            assert refused.value.response.command_status == S.ESME_RINVSYSTYP
        for system_type in ("MCON1", "MCON9", "MCON2"):  # the document's range and example
            connection = await Customer().bind(port, "alice", system_type=system_type)
            await connection.unbind_and_close()

    run_with_alice(backend, scenario)


def test_an_ascii_clients_data_coding_0(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.store is not None and gw.app.gateway is not None
        account = await gw.app.store.account_by_system_id("alice")
        assert account is not None
        await gw.app.store.update_account(replace(account, data_coding_0="ascii"))
        customer = Customer()
        connection = await customer.bind(port, "alice")
        shown = await submitted(customer, "", short_message=b"a~b_c\n~~~\ncomment")
        message = await gw.app.gateway.queries.message(account.id, engine_id(shown))
        assert (message.text, message.comment) == ("a~b_c", "comment")
        # ISO in system_type still reads Latin-1 whatever the account says
        await connection.unbind_and_close()
        iso = Customer()
        await iso.bind(port, "alice", system_type="ISO")
        latin = await submitted(iso, "", short_message="caf\xe9".encode("latin-1"))
        message = await gw.app.gateway.queries.message(account.id, engine_id(latin))
        assert message.text == "caf\xe9"

    run_with_alice(backend, scenario)


def test_an_account_keeps_gsm_by_default(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.gateway is not None and gw.app.store is not None
        account = await gw.app.store.account_by_system_id("alice")
        assert account is not None and account.data_coding_0 is None
        customer = Customer()
        await customer.bind(port, "alice")
        shown = await submitted(customer, "", short_message=b"a~b_c")
        message = await gw.app.gateway.queries.message(account.id, engine_id(shown))
        assert message.text == "a\xfcb\xa7c"  # GSM 03.38: 0x7E is u-umlaut, 0x5F the section

    run_with_alice(backend, scenario)


def test_query_sm_gives_a_failed_messages_error(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.simulator is not None
        customer = Customer()
        connection = await customer.bind(port, "alice")
        refused = await submitted(customer, "refused", to=REFUSED + "12345678")
        assert await gw.wait_final([engine_id(refused)]) == {engine_id(refused): Status.FAILED}
        query = await connection.call(QuerySm(message_id=refused))
        assert query.message_state == MessageState.UNDELIVERABLE
        assert query.error_code == CATALOG["carrier_rejected"].smpp_status
        gw.app.simulator._states = [MessageState.UNDELIVERABLE]  # the handset is unknown now
        lost = await submitted(customer, "lost")
        assert await gw.wait_final([engine_id(lost)]) == {engine_id(lost): Status.UNDELIVERED}
        query = await connection.call(QuerySm(message_id=lost))
        assert query.error_code == 1  # the network's "unknown subscriber", as the receipt's err
        await connection.unbind_and_close()

    run_with_alice(backend, scenario)
