"""Lookups through the simulated provider over loopback HTTP: what each subscriber's lookup
reports, in what order, and the cache of recent results."""

from smsgate.connectors.hlr import lookup_id
from smsgate.domain.hlr import parse_receipt_text, portability_row, receipt_text
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from tests.connectors.hlr.harness import (
    CONNECTOR_ID,
    DOCOMO,
    LANDLINE,
    SOFTBANK,
    hlr_part,
    rig,
    run,
    simulator_config,
)


def test_a_subscriber_found_is_accepted_then_delivered_with_its_network() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = hlr_part(1, DOCOMO)
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            carrier_id = lookup_id(part.key)
            assert r.events.accepted_parts == [(part.key, carrier_id, CONNECTOR_ID)]
            assert r.events.log == [("accepted", carrier_id), ("receipt", carrier_id)]
            report = r.events.report(part.key)
            assert (report.status, report.label, report.error) == (
                Status.DELIVERED,
                "DELIVRD",
                "000",
            )
            answered = r.simulator.answers(DOCOMO)[0]
            assert report.result == {
                "imsi": answered["imsi"],
                "msc": answered["msc"],
                "mcc": "440",
                "mnc": "10",
                "cn": "Japan",
                "net": "NTT DOCOMO",
                "rcn": "",
                "rnet": "",
                "ported": False,
            }
            assert report.result["imsi"].startswith("44010")
            assert len(report.result["imsi"]) == 15
            assert report.result["msc"].startswith("81")
            # the receipt text an SMPP customer would get reads back to the same result
            text = receipt_text("855469", report.label, report.error, report.result)
            assert parse_receipt_text(text)["net"] == "NTT DOCOMO"

    run(scenario)


def test_absent_and_unknown_subscribers_are_undelivered_with_their_error() -> None:
    async def scenario() -> None:
        sim = simulator_config(absent_prefixes=(SOFTBANK[:8],))
        async with rig(sim) as r:
            absent, unknown = hlr_part(1, SOFTBANK), hlr_part(2, LANDLINE)
            assert r.connector.submit(absent)
            assert r.connector.submit(unknown)
            await r.events.wait_until(lambda: len(r.events.receipts) == 2)
            report = r.events.report(absent.key)
            assert (report.status, report.label, report.error) == (
                Status.UNDELIVERED,
                "UNDELIV",
                "006",
            )
            assert report.result is not None
            assert (report.result["mnc"], report.result["msc"]) == ("20", "")
            assert report.result["imsi"].startswith("44020")
            report = r.events.report(unknown.key)
            assert (report.status, report.label, report.error) == (
                Status.UNDELIVERED,
                "UNDELIV",
                "001",
            )
            assert report.result is not None
            assert report.result["imsi"] == report.result["mcc"] == ""

    run(scenario)


def test_a_ported_number_gives_the_recipient_network_and_a_portability_row() -> None:
    async def scenario() -> None:
        sim = simulator_config(ported_prefixes=((DOCOMO[:9], "rakuten"),))
        async with rig(sim) as r:
            part = hlr_part(1, DOCOMO)
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            result = r.events.report(part.key).result
            assert result is not None
            assert (result["mnc"], result["net"]) == ("11", "Rakuten Mobile")
            assert result["ported"] is True
            row = portability_row(DOCOMO, result, 1000.0)
            assert row is not None
            assert (row.number, row.carrier) == (DOCOMO, "rakuten")

    run(scenario)


def test_a_roaming_subscriber_names_the_visited_network() -> None:
    async def scenario() -> None:
        sim = simulator_config(roaming_prefixes=((SOFTBANK[:9], "310", "260"),))
        async with rig(sim) as r:
            part = hlr_part(1, SOFTBANK)
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            result = r.events.report(part.key).result
            assert result is not None
            assert (result["cn"], result["net"]) == ("Japan", "SoftBank")
            assert (result["rcn"], result["rnet"]) == ("United States", "T-Mobile")
            assert result["msc"].startswith("1")  # an MSC in the visited country
            text = receipt_text("1", "DELIVRD", "000", result)
            assert "rcn:United+States rnet:T-Mobile" in text

    run(scenario)


def test_a_recent_result_answers_from_the_cache_until_it_expires() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        async with rig(clock=clock, cache_ttl=60.0) as r:
            assert r.connector.submit(hlr_part(1))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            assert r.connector.submit(hlr_part(2))
            await r.events.wait_until(lambda: len(r.events.receipts) == 2)
            assert len(r.simulator.answers(DOCOMO)) == 1
            assert r.connector.stats.cache_hits == 1
            # the second part has its own lookup id, with the same result
            first, second = r.events.receipts
            assert first.carrier_ids != second.carrier_ids
            assert first.result == second.result
            clock.advance(61.0)
            assert r.connector.submit(hlr_part(3))
            await r.events.wait_until(lambda: len(r.events.receipts) == 3)
            assert len(r.simulator.answers(DOCOMO)) == 2

    run(scenario)


def test_absent_subscribers_are_believed_for_a_shorter_time() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        sim = simulator_config(absent_prefixes=(SOFTBANK,))
        async with rig(sim, clock=clock, cache_ttl=3600.0, absent_ttl=30.0) as r:
            for n, number in enumerate((SOFTBANK, DOCOMO)):
                assert r.connector.submit(hlr_part(n, number))
            await r.events.wait_until(lambda: len(r.events.receipts) == 2)
            clock.advance(31.0)
            for n, number in enumerate((SOFTBANK, DOCOMO), start=2):
                assert r.connector.submit(hlr_part(n, number))
            await r.events.wait_until(lambda: len(r.events.receipts) == 4)
            assert len(r.simulator.answers(SOFTBANK)) == 2  # asked again
            assert len(r.simulator.answers(DOCOMO)) == 1  # still cached

    run(scenario)


def test_the_cache_keeps_at_most_its_size() -> None:
    async def scenario() -> None:
        async with rig(cache_size=2) as r:
            numbers = [f"8190870000{i:02d}" for i in range(5)]
            for n, number in enumerate(numbers):
                assert r.connector.submit(hlr_part(n, number))
            await r.events.wait_until(lambda: len(r.events.receipts) == 5)
            assert len(r.connector.cache) == 2

    run(scenario)


def test_parts_asking_about_one_number_at_once_share_its_lookup() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(delay=0.2)) as r:
            for n in range(5):
                assert r.connector.submit(hlr_part(n))
            await r.events.wait_until(lambda: len(r.events.receipts) == 5)
            assert len(r.simulator.answers(DOCOMO)) == 1
            assert r.connector.stats.shared == 4
            assert len({report.carrier_ids for report in r.events.receipts}) == 5

    run(scenario)


def test_lookups_keep_to_the_in_flight_limit() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(delay=0.1), max_in_flight=3) as r:
            for n in range(9):
                assert r.connector.submit(hlr_part(n, f"81908700{n:04d}"))
            await r.events.wait_until(lambda: len(r.events.receipts) == 9)
            assert r.simulator.peak_in_progress == 3
            assert r.connector.capacity == 3
            assert r.connector.in_flight == 0

    run(scenario)


def test_a_malformed_number_fails_without_asking_the_provider() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = hlr_part(1, "user@example.com")
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: len(r.events.failures) == 1)
            key, error, _, permanent = r.events.failures[0]
            assert (key, error, permanent) == (part.key, "invalid_destination", True)
            assert r.simulator.counters["malformed"] == 0
            assert r.events.accepted_parts == []

    run(scenario)
