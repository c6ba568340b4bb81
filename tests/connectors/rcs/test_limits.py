"""The RCS connector's limits and failures: the platform's rate and its own, server errors,
a platform that went away, and stopping with parts on hand."""

import asyncio
import socket

import pytest

from smsgate.connectors.rcs import RcsConnector, message_id
from smsgate.domain.errors import GatewayError
from smsgate.engine.ports import PartKey
from smsgate.simulator.rcs import RcsSimulator
from tests.connectors.rcs.harness import (
    BOT,
    TIMEOUT,
    Recorder,
    connector_config,
    rcs_part,
    rig,
    run,
    simulator_config,
)


def test_throttled_sends_are_retried_until_accepted() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(rate_per_bot=10.0)) as r:
            parts = [rcs_part(n) for n in range(25)]
            assert all(r.connector.submit(part) for part in parts)
            await r.events.wait_until(lambda: len(r.events.accepted_parts) == len(parts))
            assert {key for key, _, _ in r.events.accepted_parts} == {p.key for p in parts}
            assert not r.events.failures
            assert r.simulator.counters["rate_limited"] > 0
            assert r.connector.stats.throttled == r.simulator.counters["rate_limited"]
            # each accepted once: a throttled send is not a message
            assert r.simulator.counters["accepted"] == len(parts)

    run(scenario)


def test_the_connector_holds_its_own_rate() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(rate_per_bot=20.0), rate=20.0) as r:
            loop = asyncio.get_running_loop()
            started = loop.time()
            parts = [rcs_part(n) for n in range(12)]
            assert all(r.connector.submit(part) for part in parts)
            await r.events.wait_until(lambda: len(r.events.accepted_parts) == len(parts))
            # a burst of two (a tenth of a second's worth), then one every 50 ms
            assert loop.time() - started >= (len(parts) - 2) / 20.0 - 0.01
            assert r.simulator.counters["rate_limited"] == 0

    run(scenario)


def test_the_in_flight_limit_bounds_concurrent_sends() -> None:
    async def scenario() -> None:
        async with rig(max_in_flight=2) as r:
            in_flight: list[int] = []  # sends under way as each acceptance is reported
            connector = r.connector
            record = r.events.accepted

            def accepted(key: PartKey, carrier_id: str, connector_id: str) -> None:
                in_flight.append(connector.in_flight)
                record(key, carrier_id, connector_id)

            r.events.accepted = accepted  # type: ignore[method-assign]
            parts = [rcs_part(n) for n in range(8)]
            assert all(connector.submit(part) for part in parts)
            assert connector.capacity == 2 and connector.queue_depth == 8
            await r.events.wait_until(lambda: len(r.events.accepted_parts) == len(parts))
            assert max(in_flight) == 2 and min(in_flight) >= 1
            assert connector.queue_depth == 0

    run(scenario)


def test_the_queue_refuses_parts_past_its_size() -> None:
    async def scenario() -> None:
        async with rig(queue_size=3) as r:
            r.simulator.outage_status = 503  # nothing leaves quickly
            results = [r.connector.submit(rcs_part(n)) for n in range(4)]
            assert results == [True, True, True, False]

    run(scenario)


def test_server_errors_are_retried_then_fail_the_part_for_now() -> None:
    async def scenario() -> None:
        async with rig(max_attempts=3, probe_interval=0.05) as r:
            r.simulator.outage_status = 503
            part = rcs_part(1)
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: bool(r.events.failures))
            ((key, error, detail, permanent),) = r.events.failures
            assert (key, error, permanent) == (part.key, "carrier_unavailable", False)
            assert "503" in detail and "3 attempts" in detail
            assert r.connector.stats.retried == 2
            assert not r.connector.is_up  # the platform said it is unavailable
            # back once it answers again: the probe finds out
            r.simulator.outage_status = None
            assert await r.connector.wait_up(TIMEOUT)

    run(scenario)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_platform_gone_takes_the_connector_down_and_stop_hands_parts_back() -> None:
    async def scenario() -> None:
        port = _free_port()  # nothing listens there
        config = connector_config(
            f"http://127.0.0.1:{port}", max_attempts=100, retry_min=5.0, retry_max=5.0
        )
        connector = RcsConnector(config)
        events = Recorder()
        await connector.start(events)
        parts = [rcs_part(n) for n in range(3)]
        assert all(connector.submit(part) for part in parts)
        with pytest.raises(GatewayError) as error:
            await connector.capable("819012345678", BOT)
        assert error.value.code == "rcs_unavailable"
        assert not connector.is_up and connector.links_up == 0 and connector.capacity == 0
        unsent = await asyncio.wait_for(connector.stop(drain_timeout=1.0), TIMEOUT)
        assert sorted(p.key for p in unsent) == sorted(p.key for p in parts)
        assert not events.accepted_parts and not events.failures
        assert not connector.submit(rcs_part(9))  # stopped

    run(scenario)


def test_the_probe_brings_the_connector_back_when_the_platform_returns() -> None:
    async def scenario() -> None:
        first = RcsSimulator(simulator_config())
        port = await first.start()
        await first.stop()  # the platform restarts: down for a while
        connector = RcsConnector(connector_config(f"http://127.0.0.1:{port}", probe_interval=0.05))
        await connector.start(Recorder())
        try:
            assert not await connector.wait_up(0.2)
            assert connector.stats.unreachable >= 1
            second = RcsSimulator(simulator_config(port=port))
            await second.start()
            try:
                assert await connector.wait_up(TIMEOUT)
            finally:
                await second.stop()
        finally:
            await connector.stop(1.0)

    run(scenario)


def test_stop_lets_sends_under_way_finish() -> None:
    async def scenario() -> None:
        async with rig() as r:
            parts = [rcs_part(n) for n in range(5)]
            assert all(r.connector.submit(part) for part in parts)
            await asyncio.sleep(0)  # the sends begin
            unsent = await r.connector.stop(drain_timeout=TIMEOUT)
            sent = {key for key, _, _ in r.events.accepted_parts}
            assert sent | {p.key for p in unsent} == {p.key for p in parts}
            assert not sent & {p.key for p in unsent}
            assert all(r.simulator.message_state(message_id(key)) for key in sent)

    run(scenario)
