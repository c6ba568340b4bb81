"""Carrier refusals: throttled parts are retried, permanent errors fail, temporary ones retry
and then fail."""

from smsgate.connectors.smpp import ErrorAction, RetryPolicy, SmppConnector
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.constants import CommandStatus
from tests.connectors.helpers import Recorder, make_part, run, submit_all

S = CommandStatus


def test_throttled_parts_are_retried_until_submitted() -> None:
    count = 300

    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        submit_all(connector, [make_part(n, receipt=False) for n in range(count)])
        await rec.wait_until(lambda: len(rec.submissions) == count)
        assert rec.failures == []
        assert len(rec.submitted_ids) == count
        assert connector.stats.throttled > 0
        assert connector.stats.throttled == sim.counters["throttled"]
        assert connector.stats.resubmitted == 0  # a throttled part was surely not accepted
        assert sum(link.governor.episodes for link in connector.links) > 0

    # 150/s with a burst of 150: the second half has to wait for the carrier
    run(scenario, SimulatorConfig(max_tps=150), binds=2)


def test_permanent_error_fails_the_part_at_once() -> None:
    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        good = [make_part(n) for n in range(5)]
        bad = [make_part(100 + n, destination=f"99900{n}") for n in range(3)]
        submit_all(connector, good + bad)
        await rec.wait_until(lambda: len(rec.submissions) + len(rec.failures) == 8)
        assert rec.keys_submitted() == {part.key for part in good}
        assert {key for key, *_ in rec.failures} == {part.key for part in bad}
        for _, error, permanent, detail in rec.failures:
            assert error == "carrier_rejected" and permanent
            assert detail == "ESME_RINVDSTADR"
        assert sim.rejected == 3  # each was sent once: no retry of a permanent error
        assert connector.stats.failed == 3

    run(scenario, SimulatorConfig(reject_destinations=("999",)))


def test_temporary_error_retries_up_to_max_attempts() -> None:
    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        submit_all(connector, [make_part(1, destination="999123")])
        await rec.wait_until(lambda: len(rec.failures) == 1)
        ((key, error, permanent, detail),) = rec.failures
        assert key.message_id == "m1" and error == "carrier_rejected"
        assert not permanent  # it ran out of attempts; another route may take it
        assert "ESME_RINVDSTADR" in detail and "gave up after 3 attempts" in detail
        assert sim.rejected == 3
        assert connector.stats.retried == 2

    policy = RetryPolicy(actions={S.ESME_RINVDSTADR: ErrorAction.RETRY})
    run(scenario, SimulatorConfig(reject_destinations=("999",)), retry=policy, max_attempts=3)


def test_part_that_cannot_be_encoded_fails_without_harming_others() -> None:
    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        too_long = make_part(1, destination="1" * 30)  # destination_addr holds 20 digits
        submit_all(connector, [too_long, make_part(2)])
        await rec.wait_until(lambda: len(rec.submissions) + len(rec.failures) == 2)
        ((key, error, permanent, detail),) = rec.failures
        assert key == too_long.key and error == "carrier_rejected" and permanent
        assert detail.startswith("ESME_RSUBMITFAIL: cannot encode submit_sm")
        assert rec.keys_submitted() == {make_part(2).key}

    run(scenario)
