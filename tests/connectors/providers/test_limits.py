"""The provider connector's limits against the simulated provider: retries with back-off,
the provider's 429s, its own rate, health, back-pressure and stop."""

import asyncio
import time
from typing import Any

from smsgate.connectors.providers import (
    CHANNELS,
    HttpProvider,
    ProviderAnswer,
    ProviderConnector,
    reference,
)
from smsgate.engine.ports import OutboundPart
from tests.connectors.providers.harness import (
    TIMEOUT,
    connector_config,
    part,
    rig,
    run,
    simulator_config,
)


def test_a_5xx_is_sent_again_until_the_provider_takes_it() -> None:
    async def scenario() -> None:
        async with rig(max_attempts=3) as r:
            r.simulator.fail_next = 2
            sent = part(1)
            assert r.connector().submit(sent)
            assert await r.events.wait_for_labels(sent.key, 2) == ["delivered", "read"]
            assert not r.events.failures
            assert r.connector().stats.retried == 2
            assert r.simulator.counters["faults"] == 2
            assert r.simulator.counters["accepted"] == 1
            assert r.connector().is_up  # a 500 is an answer: the provider is up

    run(scenario)


def test_a_part_fails_for_lack_of_attempts_and_the_connector_goes_down() -> None:
    async def scenario() -> None:
        async with rig(max_attempts=3) as r:
            r.simulator.outage_status = 503
            sent = part(1)
            assert r.connector().submit(sent)
            error, detail, permanent = await r.events.wait_for_failure(sent.key)
            assert (error, permanent) == ("carrier_unavailable", False)
            assert "HTTP 503" in detail and "after 3 attempts" in detail
            assert not r.connector().is_up
            assert r.connector().capacity == 0
            assert r.connector().stats.retried == 2

    run(scenario)


def test_a_probe_brings_the_connector_back_up() -> None:
    async def scenario() -> None:
        async with rig(probe_interval=0.05, max_attempts=1) as r:
            r.simulator.outage_status = 401  # a refused token: nothing will go through
            sent = part(1)
            assert r.connector().submit(sent)
            error, _, permanent = await r.events.wait_for_failure(sent.key)
            assert (error, permanent) == ("carrier_unavailable", False)
            assert not r.connector().is_up
            r.simulator.outage_status = None
            assert await r.connector().wait_up(TIMEOUT)
            again = part(2)
            assert r.connector().submit(again)
            await r.events.wait_for_labels(again.key, 1)

    run(scenario)


def test_a_peer_found_down_by_a_send_is_probed_again_within_a_second() -> None:
    """A long probe interval is for idle peers: one a send found down is probed after a
    second (then at doubling waits), so a short outage does not keep it down an interval."""

    async def scenario() -> None:
        async with rig(probe_interval=30.0, max_attempts=1) as r:
            r.simulator.outage_status = 401
            sent = part(1)
            assert r.connector().submit(sent)
            await r.events.wait_for_failure(sent.key)
            assert not r.connector().is_up
            r.simulator.outage_status = None
            began = time.monotonic()
            assert await r.connector().wait_up(5.0)
            assert time.monotonic() - began < 3.0  # two probes at most, not 30 s

    run(scenario)


def test_an_unreachable_provider_takes_the_connector_down() -> None:
    async def scenario() -> None:
        async with rig(max_attempts=2) as r:
            await r.simulator.stop()
            sent = part(1)
            assert r.connector().submit(sent)
            error, detail, permanent = await r.events.wait_for_failure(sent.key)
            assert (error, permanent) == ("carrier_unavailable", False)
            assert detail.startswith("provider unreachable: ConnectionRefusedError")
            assert not r.connector().is_up
            assert r.connector().stats.unreachable >= 2

    run(scenario)


def test_the_providers_429_pauses_the_sends_and_every_part_goes() -> None:
    async def scenario() -> None:
        # 20 per second (burst 20) against 30 parts at once: some are answered 429
        async with rig(sim=simulator_config(rate=20.0), max_in_flight=30) as r:
            parts = [part(n) for n in range(30)]
            for sent in parts:
                assert r.connector().submit(sent)
            await r.events.wait_until(lambda: len(r.events.accepted_parts) == 30)
            assert not r.events.failures
            assert r.simulator.counters["rate_limited"] > 0
            assert r.connector().stats.throttled == r.simulator.counters["rate_limited"]
            assert r.simulator.counters["accepted"] == 30

    run(scenario)


def test_a_part_throttled_too_often_fails_for_now() -> None:
    async def scenario() -> None:
        sim = simulator_config(rate=0.5)  # one send, then one every two seconds
        async with rig(sim=sim, max_throttled=2, throttle_pause=0.01, retry_max=0.01) as r:
            first, second = part(1), part(2)
            assert r.connector().submit(first)
            await r.events.wait_for_labels(first.key, 1)
            assert r.connector().submit(second)
            error, detail, permanent = await r.events.wait_for_failure(second.key)
            assert (error, detail, permanent) == ("carrier_unavailable", "throttled 3 times", False)

    run(scenario)


def test_the_connectors_rate_spreads_the_sends() -> None:
    async def scenario() -> None:
        async with rig(rate=20.0) as r:
            start = time.monotonic()
            for n in range(12):
                assert r.connector().submit(part(n))
            await r.events.wait_until(lambda: len(r.events.accepted_parts) == 12)
            # a burst of 2 (a tenth of a second's worth), then one every 50 ms
            assert time.monotonic() - start >= 0.45
            assert r.simulator.counters["rate_limited"] == 0

    run(scenario)


def test_a_send_repeated_after_a_lost_answer_is_one_message() -> None:
    async def scenario() -> None:
        async with rig() as r:
            sent = part(1)
            assert r.connector().submit(sent)
            await r.events.wait_for_labels(sent.key, 2)
            assert r.connector().submit(sent)  # the engine sends it again (a lost answer)
            await r.events.wait_until(lambda: len(r.events.accepted_parts) == 2)
            ((_, first, _), (_, second, _)) = r.events.accepted_parts
            assert first == second
            assert r.simulator.counters["repeated"] == 1
            assert len(r.simulator.received("79161234567")) == 1
            assert reference(sent.key) == reference(part(1).key) != reference(part(2).key)

    run(scenario)


def test_a_full_queue_refuses_and_stop_hands_back_what_was_not_sent() -> None:
    async def scenario() -> None:
        async with rig(queue_size=3, max_in_flight=1, rate=0.5) as r:
            parts = [part(n) for n in range(5)]
            # one goes at once, then the rate holds the next in its send and three queue
            assert r.connector().submit(parts[0])
            await r.events.wait_until(lambda: len(r.events.accepted_parts) == 1)
            assert all(r.connector().submit(p) for p in parts[1:4])
            await asyncio.sleep(0)  # the worker takes one into a send (waiting on the rate)
            assert r.connector().submit(parts[4])
            assert r.connector().queue_depth == 3
            assert not r.connector().submit(part(9))  # full
            unsent = await r.connector().stop(0.2)
            assert sorted(p.key for p in unsent) == sorted(p.key for p in parts[1:])
            assert not r.connector().submit(part(10))  # stopped
            assert not r.connector().is_up
            assert len(r.events.accepted_parts) == 1 and not r.events.failures

    run(scenario)


def test_stop_lets_a_send_under_way_finish_within_the_drain_timeout() -> None:
    async def scenario() -> None:
        async with rig(sim=simulator_config(answer_delay=0.3)) as r:
            sent = part(1)
            assert r.connector().submit(sent)
            await asyncio.sleep(0)  # the worker starts the send's task
            await asyncio.sleep(0)  # which sends its request
            assert r.connector().in_flight == 1
            assert await r.connector().stop(TIMEOUT) == []
            assert [k for k, _, _ in r.events.accepted_parts] == [sent.key]

    run(scenario)


def test_stop_hands_back_a_send_whose_answer_did_not_come_in_time() -> None:
    async def scenario() -> None:
        async with rig(sim=simulator_config(answer_delay=2.0)) as r:
            sent = part(1)
            assert r.connector().submit(sent)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            assert await r.connector().stop(0.05) == [sent]
            assert not r.events.accepted_parts and not r.events.failures

    run(scenario)


def test_a_connector_not_started_takes_nothing() -> None:
    async def scenario() -> None:
        connector = ProviderConnector(connector_config("viber", "http://127.0.0.1:9"))
        assert not connector.submit(part(1))
        assert not connector.is_up and connector.capacity == 0
        assert await connector.stop(0.1) == []
        await connector.provider.close()

    run(scenario)


class FlakyProvider(HttpProvider):
    """The HTTP provider with a bug in its first send: what a provider raises that is not a
    ProviderError must still end in an event for the part."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.raised = 0

    async def send(self, part: OutboundPart, ref: str) -> ProviderAnswer:
        if not self.raised:
            self.raised += 1
            raise RuntimeError("a bug")
        return await super().send(part, ref)


def test_a_providers_bug_is_a_temporary_error() -> None:
    async def scenario() -> None:
        async with rig() as r:
            config = connector_config("social", r.simulator.base_url, id="social1")
            connector = ProviderConnector(config, FlakyProvider(CHANNELS["social"], config))
            await connector.start(r.events)
            try:
                sent = part(1, channel="social")
                assert connector.submit(sent)
                await r.events.wait_until(lambda: len(r.events.accepted_parts) == 1)
                assert connector.stats.retried == 1 and not r.events.failures
            finally:
                await connector.stop(1.0)

    run(scenario)
