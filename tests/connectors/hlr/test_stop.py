"""Stopping the HLR connector: lookups under way finish within the drain time, the rest of
the parts are handed back without an event, and nothing is taken afterwards."""

from smsgate.connectors.hlr import HlrConnector
from tests.connectors.hlr.harness import (
    DOCOMO,
    connector_config,
    hlr_part,
    poll_until,
    rig,
    run,
    simulator_config,
)


def test_lookups_under_way_finish_within_the_drain_and_the_queue_is_handed_back() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(delay=0.3), max_in_flight=2) as r:
            parts = [hlr_part(n, f"8190870000{n:02d}") for n in range(5)]
            for part in parts:
                assert r.connector.submit(part)
            await poll_until(lambda: r.simulator.in_progress == 2)
            unsent = await r.connector.stop(drain_timeout=5.0)
            # the two being looked up reported; the three queued came back, untouched
            assert len(r.events.receipts) == 2
            assert {p.key for p in unsent} == {p.key for p in parts[2:]}
            reported = {key for key, *_ in r.events.accepted_parts}
            assert reported == {p.key for p in parts[:2]}
            assert r.events.failures == []
            assert not r.connector.submit(hlr_part(9))
            assert not r.connector.is_up
            assert r.connector.capacity == 0

    run(scenario)


def test_lookups_past_the_drain_time_are_cut_and_handed_back() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(delay=5.0)) as r:
            parts = [hlr_part(n) for n in range(3)]  # one number: one lookup, two waiting on it
            for part in parts:
                assert r.connector.submit(part)
            await poll_until(lambda: r.simulator.in_progress == 1)
            unsent = await r.connector.stop(drain_timeout=0.1)
            assert sorted(p.key for p in unsent) == sorted(p.key for p in parts)
            assert r.events.accepted_parts == r.events.receipts == r.events.failures == []
            assert r.simulator.answers(DOCOMO) == []

    run(scenario)


def test_retries_stop_waiting_when_stop_begins() -> None:
    async def scenario() -> None:
        async with rig(max_attempts=1000, retry_min=5.0, retry_max=5.0) as r:
            r.simulator.outage_status = 503
            part = hlr_part(1)
            assert r.connector.submit(part)
            await poll_until(lambda: r.connector.stats.retried == 1)
            unsent = await r.connector.stop(drain_timeout=10.0)  # not waited for: back-off ends
            assert [p.key for p in unsent] == [part.key]
            assert r.events.failures == []

    run(scenario)


def test_submit_refuses_before_start_and_past_the_queue_size() -> None:
    async def scenario() -> None:
        connector = HlrConnector(connector_config("http://127.0.0.1:9", queue_size=2))
        assert not connector.submit(hlr_part(1))
        assert not connector.is_up
        assert await connector.stop(1.0) == []
        async with rig(simulator_config(delay=5.0), max_in_flight=1, queue_size=2) as r:
            assert r.connector.submit(hlr_part(1, "819087000001"))
            await poll_until(lambda: r.simulator.in_progress == 1)
            assert r.connector.submit(hlr_part(2, "819087000002"))
            assert r.connector.submit(hlr_part(3, "819087000003"))
            assert not r.connector.submit(hlr_part(4, "819087000004"))
            assert r.connector.queue_depth == 2
            assert r.connector.in_flight == 1
            unsent = await r.connector.stop(0.05)
            assert len(unsent) == 3

    run(scenario)
