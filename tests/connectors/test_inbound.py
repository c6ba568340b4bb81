"""Receipts and MO messages from the carrier: answered only after the engine took them."""

import asyncio

from smsgate.connectors.smpp import SmppConnector
from smsgate.domain.status import Status
from smsgate.engine.ports import DeliveryReport, InboundPart
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import DataSm, DeliverSm
from tests.connectors.helpers import SYSTEM_ID, TIMEOUT, Recorder, make_part, run, submit_all

S = CommandStatus


async def _bound(connector: SmppConnector, rec: Recorder) -> None:
    assert connector.submit(make_part(-1, receipt=False))
    await rec.wait_until(lambda: len(rec.submissions) == 1)


def test_mo_is_answered_after_the_engine_returns() -> None:
    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        await _bound(connector, rec)
        entered, release = asyncio.Event(), asyncio.Event()

        async def hold(part: InboundPart) -> None:
            entered.set()
            await release.wait()

        rec.inbound_hook = hold
        mo = asyncio.create_task(sim.send_mo(SYSTEM_ID, "447700900999", "12345", "STOP ads"))
        await asyncio.wait_for(entered.wait(), TIMEOUT)
        conn = connector.links[0].conn
        assert conn is not None
        session = conn.session
        assert session.unanswered == 1  # the engine has not returned: no deliver_sm_resp yet
        assert not mo.done()
        release.set()
        response = await asyncio.wait_for(mo, TIMEOUT)
        assert response.command_status == S.ESME_ROK
        assert session.unanswered == 0
        ((part,),) = [rec.mo]
        assert (part.source, part.destination) == ("447700900999", "12345")
        assert part.body == b"STOP ads" and part.concat is None
        assert rec.receipts == [] and connector.stats.inbound == 1

    run(scenario)


def test_mo_that_looks_like_a_receipt_is_still_mo() -> None:
    text = "id:123 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD"

    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        await _bound(connector, rec)
        response = await sim.send_mo(SYSTEM_ID, "447700900999", "12345", text)
        assert response.command_status == S.ESME_ROK
        ((part,),) = [rec.mo]
        assert part.body == text.encode()
        assert rec.receipts == []

    run(scenario)


def test_engine_failure_gets_a_temporary_error_for_the_carrier() -> None:
    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        await _bound(connector, rec)

        async def broken(pdu: DeliverSm | DataSm) -> None:
            raise RuntimeError("database unavailable")

        rec.inbound_hook = broken
        response = await sim.send_mo(SYSTEM_ID, "447700900999", "12345", "hello")
        assert response.command_status == S.ESME_RX_T_APPN
        assert rec.mo == [] and connector.stats.inbound_refused == 1
        rec.inbound_hook = None  # the engine is back: the carrier's retry goes through
        response = await sim.send_mo(SYSTEM_ID, "447700900999", "12345", "hello")
        assert response.command_status == S.ESME_ROK and len(rec.mo) == 1

    run(scenario)


def test_refused_receipt_comes_again_and_is_not_lost() -> None:
    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        refused: list[str] = []

        async def refuse_first(report: DeliveryReport) -> None:
            if not refused:
                refused.append(report.carrier_ids[0])
                raise RuntimeError("not now")

        rec.receipt_hook = refuse_first
        submit_all(connector, [make_part(1), make_part(2)])
        # The simulator holds a refused receipt and sends it again after the next accepted one.
        await rec.wait_until(
            lambda: (
                len(rec.submitted_ids) == 2
                and {r.carrier_ids[0] for r in rec.receipts} == rec.submitted_ids
            )
        )
        assert len(rec.receipts) == 2 and refused[0] in rec.submitted_ids
        assert connector.stats.inbound_refused == 1 and connector.stats.receipts == 2

    run(scenario, SimulatorConfig(receipt_delay=0.05))


def test_receipt_overtaking_its_submit_response_is_delivered_too() -> None:
    count = 20

    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        submit_all(connector, [make_part(n) for n in range(count)])
        await rec.wait_until(lambda: len(rec.submissions) == count and len(rec.receipts) == count)
        assert {report.carrier_ids[0] for report in rec.receipts} == rec.submitted_ids
        assert all(report.status is Status.DELIVERED for report in rec.receipts)
        assert all(report.label == "DELIVERED" for report in rec.receipts)
        # every receipt came before its id's submit_sm_resp: the engine matches them later
        position = {(kind, upstream_id): i for i, (kind, upstream_id) in enumerate(rec.order)}
        for upstream_id in rec.submitted_ids:
            assert position["receipt", upstream_id] < position["submitted", upstream_id]

    run(scenario, SimulatorConfig(receipt_delay=0.0, response_latency=0.1))
