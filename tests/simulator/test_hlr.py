"""The simulated HLR provider: who its subscribers are (by carrier prefix, ported, roaming,
absent; the same for the same seed) and its HTTP API's refusals and records."""

import asyncio
from typing import Any

import httpx
import pytest

from smsgate.simulator.hlr import HlrSimulator, HlrSimulatorConfig

DOCOMO, AU, SOFTBANK, RAKUTEN = "819087012345", "819092012345", "819091012345", "817083012345"


def simulator(**fields: Any) -> HlrSimulator:
    return HlrSimulator(HlrSimulatorConfig(port=0, **fields))


def test_japanese_numbers_get_mcc_440_and_their_carriers_mnc() -> None:
    hlr = simulator(absent_share=0.0)
    for number, mnc, name in (
        (DOCOMO, "10", "NTT DOCOMO"),
        (AU, "50", "KDDI au"),
        (SOFTBANK, "20", "SoftBank"),
        (RAKUTEN, "11", "Rakuten Mobile"),
    ):
        found = hlr.subscriber(number)
        assert (found["status"], found["mcc"], found["mnc"]) == ("ok", "440", mnc), number
        assert (found["country"], found["network"], found["ported"]) == ("Japan", name, False)
        assert found["imsi"].startswith("440" + mnc) and len(found["imsi"]) == 15
        assert found["msc"].startswith("81") and len(found["msc"]) == 12
        assert found["roaming_network"] is None
    # a fixed line, or a foreign number: no subscriber the HLR knows
    assert hlr.subscriber("81312345678")["status"] == "unknown"
    assert hlr.subscriber("12065550100")["status"] == "unknown"


def test_the_same_seed_gives_the_same_subscribers() -> None:
    numbers = [f"81908{n:07d}" for n in range(2000)]
    first, again, other = (simulator(seed=s, absent_share=0.2) for s in (7, 7, 8))
    answers = [first.subscriber(n) for n in numbers]
    assert answers == [again.subscriber(n) for n in numbers]
    assert answers != [other.subscriber(n) for n in numbers]
    absent = sum(a["status"] == "absent" for a in answers)
    assert 300 <= absent <= 500  # a fifth of 2000, give or take
    for answer in answers:
        if answer["status"] == "absent":
            assert answer["msc"] is None and answer["imsi"]


def test_prefixes_make_numbers_absent_unknown_ported_or_roaming() -> None:
    hlr = simulator(
        absent_share=0.0,
        absent_prefixes=("8190870",),
        unknown_prefixes=("8190871",),
        ported_prefixes=(("819091", "au"), ("8190910", "softbank")),
        roaming_prefixes=(("819092", "250", "01"),),
    )
    assert hlr.subscriber("819087012345")["status"] == "absent"
    assert hlr.subscriber("819087112345")["status"] == "unknown"
    ported = hlr.subscriber("819091112345")
    assert (ported["mnc"], ported["network"], ported["ported"]) == ("50", "KDDI au", True)
    assert ported["imsi"].startswith("44050")  # issued by the network it moved to
    # the longest prefix wins: ported back to the carrier it was allocated to is not ported
    assert hlr.subscriber("819091012345")["ported"] is False
    roaming = hlr.subscriber(AU)
    assert (roaming["country"], roaming["roaming_country"]) == ("Japan", "Russia")
    assert (roaming["roaming_network"], roaming["msc"][:1]) == ("MTS", "7")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"absent_share": 1.5}, "shares"),
        ({"delay": -1.0}, "delay"),
        ({"rate": 0.0}, "rate"),
        ({"numbers": 0}, "at least 1"),
        ({"absent_prefixes": ("+8190",)}, "digits"),
        ({"ported_prefixes": (("8190", "nobody"),)}, "nobody"),
        ({"roaming_prefixes": (("8190", "999", "99"),)}, "999-99"),
    ],
)
def test_the_configuration_is_checked(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HlrSimulatorConfig(**fields)


def test_the_api_refuses_and_records_over_http() -> None:
    async def scenario() -> None:
        hlr = simulator(token="secret", absent_share=0.0, numbers=2, answers_per_number=2)
        await hlr.start()
        auth = {"Authorization": "Bearer secret"}
        try:
            async with httpx.AsyncClient(base_url=hlr.base_url, timeout=5.0) as client:
                answer = await client.get("/hlr", params={"msisdn": DOCOMO}, headers=auth)
                assert answer.status_code == 200
                assert answer.json() == hlr.subscriber(DOCOMO)
                answer = await client.get("/hlr", params={"msisdn": DOCOMO})
                assert answer.status_code == 401
                answer = await client.get("/hlr", params={"msisdn": "+81"}, headers=auth)
                assert answer.status_code == 400
                for number in (AU, DOCOMO, DOCOMO, DOCOMO, SOFTBANK):
                    await client.get("/hlr", params={"msisdn": number}, headers=auth)
                hlr.outage_status = 503
                answer = await client.get("/hlr", params={"msisdn": DOCOMO}, headers=auth)
                assert answer.status_code == 503
            # the two numbers last asked about are kept, with their last two answers
            assert hlr.answers(AU) == []
            assert len(hlr.answers(DOCOMO)) == 2
            assert len(hlr.answers(SOFTBANK)) == 1
            counters = hlr.counters
            assert (counters["lookups"], counters["found"]) == (6, 6)
            assert (counters["unauthorized"], counters["malformed"], counters["outage"]) == (
                1,
                1,
                1,
            )
        finally:
            await hlr.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_failures_and_the_rate_are_answered_503_and_429() -> None:
    async def scenario() -> None:
        hlr = simulator(token="", failure_share=0.5, seed=3, rate=1000.0)
        await hlr.start()
        try:
            async with httpx.AsyncClient(base_url=hlr.base_url, timeout=5.0) as client:
                statuses = [
                    (await client.get("/hlr", params={"msisdn": DOCOMO})).status_code
                    for _ in range(40)
                ]
            assert set(statuses) == {200, 503}
            assert statuses.count(503) == hlr.counters["failures"]
            assert 10 <= hlr.counters["failures"] <= 30
        finally:
            await hlr.stop()
        throttled = simulator(token="", rate=0.01)
        await throttled.start()
        try:
            async with httpx.AsyncClient(base_url=throttled.base_url, timeout=5.0) as client:
                first = await client.get("/hlr", params={"msisdn": DOCOMO})
                second = await client.get("/hlr", params={"msisdn": DOCOMO})
            assert (first.status_code, second.status_code) == (200, 429)
            assert float(second.headers["retry-after"]) > 0
        finally:
            await throttled.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))
