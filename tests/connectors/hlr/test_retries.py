"""What the HLR connector does when the provider does not answer, refuses, or throttles, and
when the engine does not take a result; the provider adapter's reading of answers."""

import asyncio
from typing import Any

import pytest

from smsgate.connectors.hlr import (
    HlrConnectorConfig,
    HttpHlrProvider,
    ProviderRefusedError,
    ProviderThrottledError,
    ProviderUnavailableError,
    parse_answer,
)
from smsgate.domain.hlr import SubscriberState
from smsgate.domain.status import Status
from smsgate.engine.ports import DeliveryReport
from smsgate.simulator.hlr import HlrSimulator
from tests.connectors.hlr.harness import (
    DOCOMO,
    TOKEN,
    connector_config,
    hlr_part,
    poll_until,
    rig,
    run,
    simulator_config,
)


def test_a_provider_that_comes_back_answers_the_retried_lookup() -> None:
    async def scenario() -> None:
        async with rig(max_attempts=100) as r:
            r.simulator.outage_status = 503
            part = hlr_part(1)
            assert r.connector.submit(part)
            await poll_until(lambda: r.simulator.counters["outage"] >= 2)
            assert not r.connector.is_up
            assert r.connector.capacity == 0
            r.simulator.outage_status = None
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            assert r.events.report(part.key).status is Status.DELIVERED
            assert r.connector.stats.retried >= 2
            assert r.connector.is_up
            assert r.events.failures == []

    run(scenario)


def test_a_lookup_out_of_attempts_fails_for_another_route_to_try() -> None:
    async def scenario() -> None:
        async with rig(max_attempts=3, recovery_interval=30.0) as r:
            r.simulator.outage_status = 503
            part = hlr_part(1)
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: len(r.events.failures) == 1)
            key, error, detail, permanent = r.events.failures[0]
            assert (key, error, permanent) == (part.key, "carrier_unavailable", False)
            assert "HTTP 503" in detail and "after 3 attempts" in detail
            assert r.simulator.counters["outage"] == 3
            assert r.events.accepted_parts == []
            assert not r.connector.is_up
            # the next lookup answered brings it back up
            r.simulator.outage_status = None
            assert r.connector.submit(hlr_part(2))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            assert r.connector.is_up

    run(scenario)


def test_a_refused_token_takes_the_connector_down_and_fails_the_part() -> None:
    async def scenario() -> None:
        async with rig(token="not-the-token", max_attempts=2, recovery_interval=30.0) as r:
            assert r.connector.is_up  # nothing asked yet
            assert r.connector.submit(hlr_part(1))
            await r.events.wait_until(lambda: len(r.events.failures) == 1)
            _, error, detail, permanent = r.events.failures[0]
            assert (error, permanent) == ("carrier_unavailable", False)
            assert "HTTP 401" in detail
            assert r.simulator.counters["unauthorized"] == 2
            assert not r.connector.is_up

    run(scenario)


def test_throttled_lookups_wait_and_all_complete() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(rate=10.0)) as r:
            numbers = [f"8190870000{n:02d}" for n in range(15)]
            for n, number in enumerate(numbers):
                assert r.connector.submit(hlr_part(n, number))
            await r.events.wait_until(lambda: len(r.events.receipts) == 15)
            assert r.simulator.counters["rate_limited"] >= 1
            assert r.connector.stats.throttled == r.simulator.counters["rate_limited"]
            assert r.events.failures == []

    run(scenario)


def test_a_lookup_throttled_too_often_fails() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(rate=0.01), max_throttled=2) as r:
            assert r.connector.submit(hlr_part(1, "819087000001"))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)  # the one token
            assert r.connector.submit(hlr_part(2, "819087000002"))
            await r.events.wait_until(lambda: len(r.events.failures) == 1)
            _, error, detail, permanent = r.events.failures[0]
            assert (error, detail, permanent) == ("carrier_unavailable", "throttled 3 times", False)

    run(scenario)


def test_the_connectors_own_rate_spaces_lookups() -> None:
    async def scenario() -> None:
        async with rig(rate=20.0) as r:
            loop = asyncio.get_running_loop()
            began = loop.time()
            for n in range(10):
                assert r.connector.submit(hlr_part(n, f"8190870000{n:02d}"))
            await r.events.wait_until(lambda: len(r.events.receipts) == 10)
            # a burst of 2, then 8 at 20 a second
            assert loop.time() - began >= 0.35

    run(scenario)


def test_a_result_the_engine_did_not_take_is_offered_again() -> None:
    async def scenario() -> None:
        async with rig(report_timeout=0.2) as r:
            offers: list[DeliveryReport] = []

            async def refuse_first_two(report: DeliveryReport) -> None:
                offers.append(report)
                if len(offers) == 1:
                    raise RuntimeError("the store is busy")
                if len(offers) == 2:
                    await asyncio.sleep(5)  # past report_timeout

            r.events.hook = refuse_first_two
            assert r.connector.submit(hlr_part(1))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            assert len(offers) == 3
            assert offers[0] == offers[2]
            assert len(r.events.accepted_parts) == 1
            assert r.connector.stats.reports_retried == 2
            assert len(r.simulator.answers(DOCOMO)) == 1  # one lookup, offered three times

    run(scenario)


def test_a_result_never_taken_is_given_up_after_its_attempts() -> None:
    async def scenario() -> None:
        async with rig(report_attempts=2) as r:

            async def refuse(report: DeliveryReport) -> None:
                raise RuntimeError("the store is down")

            r.events.hook = refuse
            assert r.connector.submit(hlr_part(1))
            await poll_until(lambda: r.connector.stats.reports_lost == 1)
            assert r.connector.stats.reports_retried == 1
            assert r.events.receipts == []

    run(scenario)


def test_the_provider_adapter_maps_answers_to_results_and_errors() -> None:
    async def scenario() -> None:
        simulator = HlrSimulator(simulator_config())
        await simulator.start()
        provider = HttpHlrProvider(connector_config(simulator.base_url))
        wrong = HttpHlrProvider(connector_config(simulator.base_url, token="wrong"))
        try:
            result = await provider.lookup(DOCOMO)
            assert (result.state, result.mcc, result.mnc) == (SubscriberState.FOUND, "440", "10")
            with pytest.raises(ProviderRefusedError) as refused:
                await provider.lookup("81-90")
            assert refused.value.invalid_number
            assert "HTTP 400" in refused.value.detail
            with pytest.raises(ProviderUnavailableError, match="HTTP 401"):
                await wrong.lookup(DOCOMO)
            simulator.outage_status = 429
            with pytest.raises(ProviderThrottledError):
                await provider.lookup(DOCOMO)
            simulator.outage_status = 500
            with pytest.raises(ProviderUnavailableError, match="HTTP 500"):
                await provider.lookup(DOCOMO)
            simulator.outage_status = 410
            with pytest.raises(ProviderRefusedError) as refused:
                await provider.lookup(DOCOMO)
            assert not refused.value.invalid_number
        finally:
            await provider.close()
            await wrong.close()
            await simulator.stop()
        # nobody listens there any more
        with pytest.raises(ProviderUnavailableError, match="unreachable"):
            closed = HttpHlrProvider(connector_config(simulator.base_url))
            try:
                await closed.lookup(DOCOMO)
            finally:
                await closed.close()

    run(scenario)


def test_answers_of_another_shape_are_the_providers_fault() -> None:
    found = parse_answer({"status": "ok", "imsi": 440101234567890, "mcc": "440", "mnc": "10"})
    assert (found.imsi, found.network, found.ported) == ("440101234567890", "", False)
    absent = parse_answer({"status": "absent", "error": "27", "country": " Japan "})
    assert (absent.err, absent.country) == ("027", "Japan")
    # words in "error" are not a network error number
    assert parse_answer({"status": "unknown", "error": "no such subscriber"}).err == "001"
    bad: list[dict[str, Any]] = [
        {},
        {"status": "maybe"},
        {"status": "ok", "imsi": "44010abc"},
        {"status": "ok", "mcc": ["440"]},
        {"status": "ok", "network": 10},
        {"status": "ok", "ported": "yes"},
    ]
    for body in bad:
        with pytest.raises(ValueError):
            parse_answer(body)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": ""}, "id"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"token": ""}, "token"),
        ({"token": "t\r\nX-Injected: 1"}, "printable ASCII without spaces"),
        ({"base_url": "http://hlr.example/a b"}, "base_url: white space in the URL"),
        ({"max_in_flight": 0}, "at least 1"),
        ({"cache_size": 0}, "at least 1"),
        ({"rate": 0.0}, "rate"),
        ({"retry_min": 2.0, "retry_max": 1.0}, "retry_min"),
        ({"request_timeout": 0.0}, "positive"),
        ({"absent_ttl": -1.0}, "negative"),
    ],
)
def test_the_configuration_is_checked(fields: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"id": "hlr1", "base_url": "http://127.0.0.1:1", "token": TOKEN}
    values.update(fields)
    with pytest.raises(ValueError, match=message):
        HlrConnectorConfig(**values)
