"""The simulated SMSC on real loopback sockets, driven by smsgate's own asyncio client."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.constants import CommandStatus, EsmClass, MessageState
from smsgate.smpp.pdu import (
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    CancelSm,
    DeliverSm,
    QuerySm,
    QuerySmResp,
    Request,
    SubmitSm,
    SubmitSmResp,
)
from smsgate.smpp.receipt import parse_receipt_text
from smsgate.smpp.tlv import Tag
from smsgate.transport.smpp_connection import SmppConnection, SmppRequestError, connect
from tests.conftest import start_simulator

S = CommandStatus
TIMEOUT = 10.0


class Inbox:
    """Collects deliver_sm PDUs and answers them."""

    def __init__(self) -> None:
        self.items: list[DeliverSm] = []
        self.arrived = asyncio.Event()

    def __call__(self, conn: SmppConnection, pdu: Request) -> None:
        conn.send(pdu.response())
        if isinstance(pdu, DeliverSm):
            self.items.append(pdu)
            self.arrived.set()

    async def wait_for(self, count: int) -> list[DeliverSm]:
        async def enough() -> None:
            while len(self.items) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), TIMEOUT)
        return self.items


def run(
    test: Callable[[SmscSimulator], Awaitable[None]], config: SimulatorConfig | None = None
) -> None:
    async def main() -> None:
        simulator = await start_simulator(config)
        try:
            await test(simulator)
        finally:
            await simulator.stop()

    asyncio.run(main())


def submit(**fields: object) -> SubmitSm:
    defaults: dict[str, object] = {
        "source_addr_ton": 1,
        "source_addr_npi": 1,
        "source_addr": "447700900123",
        "dest_addr_ton": 1,
        "dest_addr_npi": 1,
        "destination_addr": "819012345678",
        "short_message": b"Hello",
        "registered_delivery": 1,
    }
    defaults.update(fields)
    return SubmitSm(**defaults)  # type: ignore[arg-type]


def test_submit_gets_id_and_delivered_receipt() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        inbox = Inbox()
        conn = await connect("127.0.0.1", sim.config.port, BindTransceiver(system_id="a"), inbox)
        resp = await conn.call(submit())
        assert isinstance(resp, SubmitSmResp) and resp.message_id
        (receipt,) = await inbox.wait_for(1)
        assert receipt.esm_class & EsmClass.SMSC_DELIVERY_RECEIPT
        assert receipt.tlvs[Tag.RECEIPTED_MESSAGE_ID] == resp.message_id
        assert receipt.tlvs[Tag.MESSAGE_STATE] == MessageState.DELIVERED
        parsed = parse_receipt_text(receipt.short_message.decode("ascii"))
        assert parsed.message_id == resp.message_id and parsed.state is MessageState.DELIVERED
        assert (receipt.source_addr, receipt.destination_addr) == ("819012345678", "447700900123")
        query = await conn.call(QuerySm(message_id=resp.message_id, source_addr="447700900123"))
        assert isinstance(query, QuerySmResp)
        assert query.message_state == MessageState.DELIVERED and len(query.final_date) == 16
        await conn.unbind_and_close()

    run(scenario, SimulatorConfig(receipt_delay=0.05))


def test_wrong_credentials_are_refused() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        for bind, status in [
            (BindTransceiver(system_id="acme", password="nope"), S.ESME_RINVPASWD),
            (BindTransceiver(system_id="other", password="pw"), S.ESME_RINVSYSID),
        ]:
            with pytest.raises(SmppRequestError) as error:
                await connect("127.0.0.1", sim.config.port, bind, Inbox())
            assert error.value.response is not None
            assert error.value.response.command_status == status
        conn = await connect(
            "127.0.0.1", sim.config.port, BindTransmitter(system_id="acme", password="pw"), Inbox()
        )
        assert conn.session.is_bound
        await conn.unbind_and_close()

    run(scenario, SimulatorConfig(accounts={"acme": "pw"}))


def test_throttling_above_rate() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        conn = await connect("127.0.0.1", sim.config.port, BindTransmitter(), Inbox())
        responses = await asyncio.gather(
            *(conn.request(submit(registered_delivery=0)) for _ in range(20))
        )
        statuses = [r.command_status for r in responses]
        assert statuses.count(0) == 5
        assert statuses.count(S.ESME_RTHROTTLED) == 15
        await conn.unbind_and_close()

    run(scenario, SimulatorConfig(max_tps=5))


def test_receipts_wait_for_a_receiver_bind() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        tx = await connect("127.0.0.1", sim.config.port, BindTransmitter(system_id="x"), Inbox())
        ids = [(await tx.call(submit())).message_id for _ in range(3)]  # type: ignore[attr-defined]
        await asyncio.sleep(0)  # let nothing but the receipt timers run
        inbox = Inbox()
        rx = await connect("127.0.0.1", sim.config.port, BindReceiver(system_id="x"), inbox)
        receipts = await inbox.wait_for(3)
        assert sorted(r.tlvs[Tag.RECEIPTED_MESSAGE_ID] for r in receipts) == sorted(ids)  # type: ignore[type-var]
        await tx.unbind_and_close()
        await rx.unbind_and_close()

    run(scenario, SimulatorConfig(receipt_delay=0.0))


def test_a_full_receipt_store_refuses_submits_and_stays_bounded() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        tx = await connect("127.0.0.1", sim.config.port, BindTransmitter(system_id="x"), Inbox())
        # six in one read: all accepted before their receipts fall due
        first = await asyncio.gather(*(tx.request(submit()) for _ in range(6)))
        assert [r.command_status for r in first] == [0] * 6
        await asyncio.sleep(0.05)  # every receipt is due and held, past twice the bound
        assert len(sim.held_receipts["x"]) == 4 and sim.counters["receipts_dropped"] == 2
        refused = await tx.request(submit())
        assert refused.command_status == S.ESME_RMSGQFUL and sim.counters["queue_full"] == 1
        inbox = Inbox()
        rx = await connect("127.0.0.1", sim.config.port, BindReceiver(system_id="x"), inbox)
        receipts = await inbox.wait_for(4)
        newest = [r.message_id for r in first[2:]]  # type: ignore[attr-defined]
        assert [r.tlvs[Tag.RECEIPTED_MESSAGE_ID] for r in receipts] == newest
        assert (await tx.request(submit())).command_status == 0
        await tx.unbind_and_close()
        await rx.unbind_and_close()

    run(scenario, SimulatorConfig(receipt_delay=0.0, held_receipts=2))


def test_outcome_mix_and_error_codes() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        inbox = Inbox()
        conn = await connect("127.0.0.1", sim.config.port, BindTransceiver(), inbox)
        await asyncio.gather(*(conn.call(submit()) for _ in range(40)))
        receipts = await inbox.wait_for(40)
        states = {r.tlvs[Tag.MESSAGE_STATE] for r in receipts}
        assert states == {MessageState.DELIVERED, MessageState.UNDELIVERABLE}
        for r in receipts:
            failed = r.tlvs[Tag.MESSAGE_STATE] == MessageState.UNDELIVERABLE
            assert (Tag.NETWORK_ERROR_CODE in r.tlvs) == failed
            if failed:
                assert r.tlvs[Tag.NETWORK_ERROR_CODE] == b"\x03\x00\x01"
                assert parse_receipt_text(r.short_message.decode()).error == "001"
        await conn.unbind_and_close()

    outcomes = {MessageState.DELIVERED: 0.5, MessageState.UNDELIVERABLE: 0.5}
    run(scenario, SimulatorConfig(receipt_delay=0.0, outcomes=outcomes, seed=7))


def test_absent_destinations_are_taken_then_reported_not_reachable() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        inbox = Inbox()
        conn = await connect("127.0.0.1", sim.config.port, BindTransceiver(), inbox)
        absent = await conn.call(submit(destination_addr="819099900001", protocol_id=0x40))
        here = await conn.call(submit())
        assert isinstance(absent, SubmitSmResp) and isinstance(here, SubmitSmResp)
        receipts = {r.tlvs[Tag.RECEIPTED_MESSAGE_ID]: r for r in await inbox.wait_for(2)}
        off = receipts[absent.message_id]
        assert off.tlvs[Tag.MESSAGE_STATE] == MessageState.UNDELIVERABLE
        assert off.tlvs[Tag.NETWORK_ERROR_CODE] == b"\x03\x00\x06"  # absent subscriber
        assert parse_receipt_text(off.short_message.decode()).error == "006"
        assert receipts[here.message_id].tlvs[Tag.MESSAGE_STATE] == MessageState.DELIVERED
        await conn.unbind_and_close()

    run(scenario, SimulatorConfig(receipt_delay=0.0, absent_destinations=("8190999",)))


def test_cancel_before_receipt() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        inbox = Inbox()
        conn = await connect("127.0.0.1", sim.config.port, BindTransceiver(), inbox)
        resp = await conn.call(submit())
        message_id = resp.message_id  # type: ignore[attr-defined]
        await conn.call(CancelSm(message_id=message_id, source_addr="447700900123"))
        query = await conn.call(QuerySm(message_id=message_id))
        assert isinstance(query, QuerySmResp) and query.message_state == MessageState.DELETED
        with pytest.raises(SmppRequestError) as error:
            await conn.call(CancelSm(message_id=message_id))
        assert error.value.response is not None
        assert error.value.response.command_status == S.ESME_RCANCELFAIL
        await conn.unbind_and_close()

    run(scenario, SimulatorConfig(receipt_delay=5.0))


def test_windowed_submits_with_latency_overlap() -> None:
    """With 50 ms latency, 100 submits through a window of 100 take about one latency, not 100."""

    async def scenario(sim: SmscSimulator) -> None:
        conn = await connect("127.0.0.1", sim.config.port, BindTransmitter(), Inbox())
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.gather(*(conn.call(submit(registered_delivery=0)) for _ in range(100)))
        elapsed = loop.time() - start
        assert elapsed < 2.5  # serialised it would take 5 s
        await conn.unbind_and_close()

    run(scenario, SimulatorConfig(response_latency=0.05))


def test_garbage_gets_generic_nack_and_connection_survives() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.config.port)
        writer.write(bytes.fromhex("00000010000009990000000000000007"))
        header = await asyncio.wait_for(reader.readexactly(16), TIMEOUT)
        assert header.hex() == "00000010800000000000000300000007"
        # an unparseable command_length closes the connection after the nack
        writer.write(bytes.fromhex("00000005"))
        header = await asyncio.wait_for(reader.readexactly(16), TIMEOUT)
        assert int.from_bytes(header[8:12], "big") == S.ESME_RINVCMDLEN
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
        writer.close()

    run(scenario)


def test_binds_dropped_every_interval_come_back() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        for _ in range(2):  # cut, bind again, cut again
            conn = await connect("127.0.0.1", sim.config.port, BindTransceiver(), Inbox())
            assert isinstance(await conn.call(submit()), SubmitSmResp)
            async with asyncio.timeout(TIMEOUT):
                while conn.is_open:
                    await asyncio.sleep(0.02)
        assert sim.dropped >= 2 and sim.counters["binds"] == 2

    run(scenario, SimulatorConfig(drop_interval=0.2, receipt_delay=0.01))


def test_throttle_bursts_refuse_every_submit_then_end() -> None:
    async def scenario(sim: SmscSimulator) -> None:
        conn = await connect("127.0.0.1", sim.config.port, BindTransmitter(), Inbox())
        seen: list[int] = []
        async with asyncio.timeout(TIMEOUT):
            # accepted, then a burst of ESME_RTHROTTLED, then accepted again
            while not (S.ESME_RTHROTTLED in seen and seen[-1] == 0):
                response = await conn.request(submit(registered_delivery=0))
                seen.append(response.command_status)
                await asyncio.sleep(0.01)
        assert seen[0] == 0 and sim.counters["throttled"] == seen.count(S.ESME_RTHROTTLED)
        await conn.unbind_and_close()

    run(scenario, SimulatorConfig(throttle_interval=0.2, throttle_burst=0.1))
