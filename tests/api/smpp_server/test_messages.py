"""Messages from SMPP customers through the engine and back: receipts held in the outbox until a
receiver binds, SINGLE part ids, submit_multi, data_sm, SAR and message_payload, ISO, schedules,
query_sm, and MO as deliver_sm; on both store backends."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smsgate.api.http.schemas import message_view
from smsgate.api.smpp_server.ids import engine_id
from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import Status
from smsgate.smpp.constants import CommandStatus, MessageState
from smsgate.smpp.pdu import (
    BindReceiver,
    BindTransmitter,
    CancelSm,
    DataSm,
    DeliverSm,
    QuerySm,
    Request,
    SmeAddress,
    SubmitMulti,
)
from smsgate.smpp.receipt import parse_receipt_text
from smsgate.smpp.tlv import Tag
from smsgate.text import encode_message
from smsgate.transport.smpp_connection import SmppConnection
from tests.api.harness import Running, running_gateway
from tests.api.smpp_server.customers import TIMEOUT, Customer, add_smpp_account, smpp_port, submit
from tests.store.backends import BACKENDS, StoreBackend, store_backend

S = CommandStatus
Scenario = Callable[[Running, int], Awaitable[None]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(backend: StoreBackend, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        async with running_gateway(backend.url, **settings) as gw:
            await add_smpp_account(gw.app, "alice")
            await scenario(gw, smpp_port(gw.app))

    asyncio.run(main())


def test_receipts_wait_for_a_receiver_bind(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        sender = await Customer().bind(port, "alice", bind=BindTransmitter, system_type="MCON2")
        ids = [engine_id((await sender.call(submit(f"held {i}"))).message_id) for i in range(3)]
        assert await gw.wait_final(ids) == dict.fromkeys(ids, Status.DELIVERED)
        receiver = Customer()
        await receiver.bind(port, "alice", bind=BindReceiver, system_type="MCON2")
        delivered = await receiver.wait_delivered(3)
        assert sorted(engine_id(d.tlvs[Tag.RECEIPTED_MESSAGE_ID]) for d in delivered) == sorted(ids)
        for pdu in delivered:
            assert pdu.esm_class == 0x04 and pdu.tlvs[Tag.MESSAGE_STATE] == MessageState.DELIVERED
            receipt = parse_receipt_text(pdu.short_message.decode())
            assert receipt.state is MessageState.DELIVERED and receipt.text.startswith("held")
            assert pdu.source_addr == "819012345678" and pdu.destination_addr == "447700900123"
        assert gw.app.store is not None
        account = await gw.app.store.account_by_system_id("alice")
        assert account is not None
        store = gw.app.store

        async def settled() -> None:  # deliver_sm_resp came; "done" commits right after
            while True:
                items, _ = await store.list_outbox(account.id)
                if len(items) == 3 and all(i.state == "done" for i in items):
                    return
                await asyncio.sleep(0.01)

        await asyncio.wait_for(settled(), TIMEOUT)

    run(backend, scenario)


def test_single_gives_each_part_its_id_and_receipt(backend: StoreBackend) -> None:
    text = "A message long enough for two parts, as a client cuts it. " * 4  # 236 septets

    async def scenario(gw: Running, port: int) -> None:
        customer = Customer()
        connection = await customer.bind(port, "alice", system_type="SINGLE")
        encoded = encode_message(text, reference=77)
        pdus = [
            submit("", esm_class=part.esm_class, short_message=part.short_message)
            for part in encoded.parts
        ]
        answers = await asyncio.gather(*(connection.call(p) for p in pdus))
        ids = [a.message_id for a in answers]
        message_id = ids[0].rsplit("-", 1)[0]
        assert ids == [f"{message_id}-1", f"{message_id}-2"]
        delivered = await customer.wait_delivered(2)
        assert sorted(d.tlvs[Tag.RECEIPTED_MESSAGE_ID] for d in delivered) == ids
        query = await connection.call(QuerySm(message_id=ids[1]))
        assert query.message_state == MessageState.DELIVERED
        assert gw.app.gateway is not None
        stored = engine_id(message_id)
        account_id = gw.app.gateway.live[stored].account_id
        assert (await gw.app.gateway.queries.message(account_id, stored)).text == text

    run(backend, scenario)


def test_submit_multi_data_sm_sar_payload_iso_and_schedule(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        customer = Customer()
        connection = await customer.bind(port, "alice", system_type="ISO")
        multi = SubmitMulti(
            source_addr="Shop",
            source_addr_ton=5,
            dest_addresses=[
                SmeAddress("819012345678", 1, 1),
                SmeAddress("12", 1, 1),
                SmeAddress("819012345679", 1, 1),
            ],
            short_message="Caf\xe9 opens at 9".encode("latin-1"),  # ISO: data_coding 0 is Latin-1
        )
        answer = await connection.request(multi)
        assert answer.command_status == 0 and answer.message_id
        assert [(u.address, u.error_status) for u in answer.unsuccess_smes] == [
            ("12", S.ESME_RINVDSTADR)
        ]
        data = DataSm(source_addr="447700900123", destination_addr="819012345678", dest_addr_ton=1)
        data.tlvs[Tag.MESSAGE_PAYLOAD] = b"by data_sm"
        sar = []
        for seq, text in enumerate(["SAR one, ", "SAR two"], 1):
            pdu = submit(text)
            pdu.tlvs.update(
                {Tag.SAR_MSG_REF_NUM: 300, Tag.SAR_TOTAL_SEGMENTS: 2, Tag.SAR_SEGMENT_SEQNUM: seq}
            )
            sar.append(pdu)
        later = submit("tomorrow", schedule_delivery_time="000001000000000R")
        answers = await asyncio.gather(*(connection.call(p) for p in [data, *sar, later]))
        assert answers[1].message_id == answers[2].message_id
        assert gw.app.gateway is not None
        account = gw.app.gateway.live[engine_id(answers[0].message_id)].account_id
        queries = gw.app.gateway.queries
        texts = {
            a.message_id: (await queries.message(account, engine_id(a.message_id))).text
            for a in [answer, *answers]
        }
        assert texts[answer.message_id] == "Caf\xe9 opens at 9"
        assert texts[answers[0].message_id] == "by data_sm"
        assert texts[answers[1].message_id] == "SAR one, SAR two"
        query = await connection.call(QuerySm(message_id=answers[3].message_id))
        assert query.message_state == MessageState.SCHEDULED and query.final_date == ""

    run(backend, scenario)


def test_mo_for_the_account_arrives_as_deliver_sm(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.store is not None and gw.app.gateway is not None
        account = await gw.app.store.account_by_system_id("alice")
        assert account is not None
        customer = Customer()
        await customer.bind(port, "alice")
        now = gw.app.gateway.clock.time()
        item = OutboxItem(
            id=new_id(),
            channel="smpp",
            account_id=account.id,
            subject_id=new_id(),
            event="inbound",
            payload={
                "from": "819012345678",
                "to": "81312345678",
                "text": "STOP ありがとう",
                "data_coding": 8,
                "payload_hex": None,
            },
            created_at=now,
            next_attempt_at=now,
        )
        await gw.app.store.write([item])
        (mo,) = await customer.wait_delivered(1)
        assert mo.esm_class == 0 and mo.data_coding == 8
        assert mo.short_message.decode("utf-16-be") == "STOP ありがとう"
        assert mo.source_addr == "819012345678" and mo.destination_addr == "81312345678"

    run(backend, scenario)


def test_cancel_scheduled_and_identical_submit_refused(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        connection = await Customer().bind(port, "alice")
        later = await connection.call(
            submit("next hour", schedule_delivery_time="000000010000000R")
        )
        assert (await connection.request(CancelSm(message_id=later.message_id))).command_status == 0
        query = await connection.call(QuerySm(message_id=later.message_id))
        assert query.message_state == MessageState.DELETED
        unknown = await connection.request(CancelSm(message_id="0" * 32))
        assert unknown.command_status == S.ESME_RINVMSGID
        first = await connection.request(submit("same text"))
        again = await connection.request(submit("same text"))
        assert first.command_status == 0 and again.command_status == S.ESME_RSUBMITFAIL

    run(backend, scenario, identical_window=60.0)


def test_binary_data_is_sent_as_it_came(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        connection = await Customer().bind(port, "alice")
        body = bytes(range(256))  # every octet, 0x00 and 0xFF included: two parts
        # class 2 (SIM data download): the carrier gets the customer's data_coding
        short = await connection.call(submit(short_message=b"\x00\x01\xfe\xff", data_coding=0xF6))
        long = submit(short_message=b"", data_coding=0x04)
        long.tlvs[Tag.MESSAGE_PAYLOAD] = body
        answer = await connection.call(long)
        ids = [engine_id(short.message_id), engine_id(answer.message_id)]
        assert await gw.wait_final(ids) == dict.fromkeys(ids, Status.DELIVERED)
        assert gw.app.gateway is not None and gw.app.simulator is not None
        account = gw.app.gateway.live[ids[0]].account_id
        first = await gw.app.gateway.queries.message(account, ids[0])
        assert (first.text, first.encoding, first.data_coding) == ("0001feff", "binary", 0xF6)
        second = await gw.app.gateway.queries.message(account, ids[1])
        assert second.text == body.hex() and (second.segments, second.data_coding) == (2, 4)
        # the carrier got the octets unchanged, the long message in two UDH parts
        seen = [data for destination, data in gw.app.simulator._seen if destination]
        assert b"\x00\x01\xfe\xff" in seen
        assert b"".join(data[6:] for data in seen if data[:3] == b"\x05\x00\x03") == body

    run(backend, scenario)


PORTS = bytes.fromhex("05040b8423f0")  # application port addressing, 16-bit: to 2948 (WAP push)


def test_binary_data_keeps_its_user_data_header(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.gateway is not None and gw.app.simulator is not None
        assert gw.app.store is not None
        connection = await Customer().bind(port, "alice")
        header = bytes((len(PORTS),)) + PORTS
        short = submit(short_message=header + b"\x01\x06", esm_class=0x40, data_coding=0x04)
        long = submit(short_message=b"", esm_class=0x40, data_coding=0x04)
        body = bytes(range(200))
        long.tlvs[Tag.MESSAGE_PAYLOAD] = header + body
        ids = [engine_id((await connection.call(pdu)).message_id) for pdu in (short, long)]
        assert await gw.wait_final(ids) == dict.fromkeys(ids, Status.DELIVERED)
        for message_id, segments in zip(ids, (1, 2), strict=True):
            stored = await gw.app.store.get_message(message_id)
            assert stored is not None and (stored.udh, stored.segments) == (PORTS, segments)
            assert message_view(stored)["udh"] == PORTS.hex()
        # the carrier got the ports in every part, beside the concatenation IE of the long one
        seen = [data for destination, data in gw.app.simulator._seen if destination]
        assert header + b"\x01\x06" in seen
        parts = [data for data in seen if data[:7] == b"\x0b" + PORTS]
        assert [data[7:10] for data in parts] == [b"\x00\x03" + parts[0][9:10]] * 2
        assert [data[10:12] for data in parts] == [b"\x02\x01", b"\x02\x02"]
        assert b"".join(data[12:] for data in parts) == body
        # text is decoded and encoded again: other header elements cannot go with it
        text = submit(short_message=header + b"Hi", esm_class=0x40, data_coding=0)
        assert (await connection.request(text)).command_status == S.ESME_RINVDCS
        await connection.unbind_and_close()

    run(backend, scenario)


class _Refusing(Customer):
    """Answers every deliver_sm with ESME_RX_T_APPN (its application cannot take it now)."""

    def handle(self, connection: SmppConnection, pdu: Request) -> None:
        if isinstance(pdu, DeliverSm):
            self.delivered.append(pdu)
            self.arrived.set()
            connection.send(pdu.response(S.ESME_RX_T_APPN))
        else:
            connection.send(pdu.response())


def test_a_refused_receipt_is_kept_for_a_later_attempt(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        customer = _Refusing()
        connection = await customer.bind(port, "alice")
        answers = [await connection.call(submit(f"refused {i}")) for i in range(2)]
        ids = [engine_id(a.message_id) for a in answers]
        await customer.wait_delivered(2)
        assert gw.app.store is not None
        store = gw.app.store
        account = await store.account_by_system_id("alice")
        assert account is not None

        async def retried() -> list[OutboxItem]:
            while True:
                items, _ = await store.list_outbox(account.id)
                if len(items) == 2 and all(i.attempts == 1 for i in items):
                    return items
                await asyncio.sleep(0.01)

        items = await asyncio.wait_for(retried(), TIMEOUT)
        assert sorted(i.subject_id for i in items) == sorted(ids)
        for item in items:
            assert item.state == "pending" and item.last_error == (
                f"deliver_sm refused with status {S.ESME_RX_T_APPN:#x}"
            )
            assert item.next_attempt_at > item.created_at + 1  # backed off, not at once

    run(backend, scenario)
