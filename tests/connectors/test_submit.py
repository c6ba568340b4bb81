"""Parts through one and several binds to the simulator, their receipts, and the window."""

import asyncio

import pytest

from smsgate.connectors.smpp import BindMode, SmppConnector
from smsgate.domain.status import Status
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.constants import MessageState
from tests.connectors.helpers import Recorder, make_part, run, submit_all


@pytest.mark.parametrize(
    ("count", "binds"), [(1, 1), (100, 1), (1000, 1), (1, 3), (100, 3), (1000, 3)]
)
def test_every_part_is_submitted_with_a_distinct_upstream_id(count: int, binds: int) -> None:
    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        parts = [make_part(n, receipt=False) for n in range(count)]
        submit_all(connector, parts)
        await rec.wait_until(lambda: len(rec.submissions) >= count)
        assert rec.keys_submitted() == {part.key for part in parts}
        assert len(rec.submissions) == count  # none twice: nothing went wrong on the way
        assert len(rec.submitted_ids) == count
        assert {connector_id for _, _, connector_id in rec.submissions} == {"carrier"}
        assert sim.counters["submitted"] == count
        assert rec.failures == []
        assert connector.links_up == binds
        assert connector.capacity == binds * 100
        assert connector.stats.binds == binds and connector.stats.resubmitted == 0
        assert (connector.queue_depth, connector.in_flight) == (0, 0)
        assert sum(link.sent for link in connector.links) == count
        if count >= binds * 100:  # more than one window's worth: every bind takes a share
            assert all(link.sent > 0 for link in connector.links)

    run(scenario, binds=binds)


def test_receipts_carry_ids_states_and_error_codes() -> None:
    count = 100

    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        submit_all(connector, [make_part(n) for n in range(count)])
        await rec.wait_until(lambda: len(rec.submissions) == count and len(rec.receipts) == count)
        assert {report.carrier_ids[0] for report in rec.receipts} == rec.submitted_ids
        labels = {report.label for report in rec.receipts}
        assert labels == {MessageState.DELIVERED.name, MessageState.UNDELIVERABLE.name}
        for report in rec.receipts:
            if report.label == MessageState.UNDELIVERABLE.name:
                assert report.status is Status.UNDELIVERED
                assert report.error == "001"  # GSM, unknown subscriber
            else:
                assert report.status is Status.DELIVERED and report.error == "000"
        assert connector.stats.receipts == count

    outcomes = {MessageState.DELIVERED: 0.5, MessageState.UNDELIVERABLE: 0.5}
    run(scenario, SimulatorConfig(receipt_delay=0.01, outcomes=outcomes, seed=3))


def test_transmitter_and_receiver_pairs() -> None:
    count = 200

    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        submit_all(connector, [make_part(n) for n in range(count)])
        await rec.wait_until(lambda: len(rec.receipts) == count)
        assert {report.carrier_ids[0] for report in rec.receipts} == rec.submitted_ids
        assert len(rec.submitted_ids) == count
        assert connector.links_up == 4  # two transmitters, two receivers
        assert connector.capacity == 2 * 50  # only the transmitters take parts
        assert len(sim.receivers["esme"]) == 2

    run(scenario, SimulatorConfig(receipt_delay=0.01), bind_mode=BindMode.TX_RX, binds=2, window=50)


def test_receiver_only_connector_takes_no_parts() -> None:
    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        assert not connector.submit(make_part(1))
        assert connector.capacity == 0

    run(scenario, bind_mode=BindMode.RX)


def test_window_overlaps_a_slow_carrier() -> None:
    """500 parts, 50 ms per answer: one at a time that is 25 s; a window of 100 overlaps them."""
    count = 500

    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        loop = asyncio.get_running_loop()
        await _bound(connector, rec)
        start = loop.time()
        submit_all(connector, [make_part(n, receipt=False) for n in range(count)])
        await rec.wait_until(lambda: len(rec.submissions) == count + 1)
        assert loop.time() - start < 3.0

    run(scenario, SimulatorConfig(response_latency=0.05), window=100)


def test_queue_refuses_beyond_its_size() -> None:
    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        # Nothing leaves the queue before the loop runs again, so the fifth part is refused.
        assert all(connector.submit(make_part(n)) for n in range(4))
        assert not connector.submit(make_part(4))
        assert connector.queue_depth == 4
        await rec.wait_until(lambda: len(rec.submissions) == 4)
        assert connector.submit(make_part(4))

    run(scenario, queue_size=4)


def test_connector_rate_limit_spreads_sends() -> None:
    count = 50

    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        loop = asyncio.get_running_loop()
        await _bound(connector, rec)
        start = loop.time()
        submit_all(connector, [make_part(n, receipt=False) for n in range(count)])
        await rec.wait_until(lambda: len(rec.submissions) == count + 1)
        # 100/s with a burst of 10: the last 40 need 0.4 s at least.
        assert 0.35 <= loop.time() - start < 3.0

    run(scenario, max_tps=100.0, binds=2)


async def _bound(connector: SmppConnector, rec: Recorder) -> None:
    """Wait until a part went through, which proves a bind is up (and takes a token)."""
    assert connector.submit(make_part(-1, receipt=False))
    await rec.wait_until(lambda: len(rec.submissions) == 1)
