"""Capability answers: asked of the simulated platform, kept for their time to live by an
injected clock, both yes and no, in a bounded cache."""

import asyncio

from smsgate.connectors.rcs import CapabilityCache
from smsgate.engine.clock import ManualClock
from tests.connectors.rcs.harness import BOT, rig, run


def test_answers_are_cached_until_their_time_to_live_ends() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        async with rig(clock=clock, capability_ttl=600.0) as r:
            sim, connector = r.simulator, r.connector
            before = sim.counters["capability_queries"]

            def asked() -> int:
                return sim.counters["capability_queries"] - before

            assert await connector.capable("819012345678", BOT) is True
            assert await connector.capable("817012345678", BOT) is False
            assert asked() == 2
            clock.advance(599.0)
            assert await connector.capable("819012345678", BOT) is True
            assert await connector.capable("817012345678", BOT) is False
            assert asked() == 2 and connector.stats.capability_hits == 2
            # another bot is another question
            assert await connector.capable("819012345678", "bot-other") is True
            assert asked() == 3
            clock.advance(1.0)  # 600 s: both answers are stale
            assert await connector.capable("819012345678", BOT) is True
            assert await connector.capable("817012345678", BOT) is False
            assert asked() == 5

    run(scenario)


def test_callers_waiting_for_the_same_answer_share_one_question() -> None:
    async def scenario() -> None:
        async with rig() as r:
            before = r.simulator.counters["capability_queries"]
            answers = await asyncio.gather(
                *(r.connector.capable("819012345678", BOT) for _ in range(5))
            )
            assert answers == [True] * 5
            assert r.simulator.counters["capability_queries"] - before == 1

    run(scenario)


def test_the_cache_drops_the_least_recently_used_answer() -> None:
    clock = ManualClock()
    cache = CapabilityCache(clock, ttl=60.0, size=2)
    cache.put("bot", "811", True)
    cache.put("bot", "812", False)
    assert cache.get("bot", "811") is True  # now the most recently used
    cache.put("bot", "813", True)
    assert len(cache) == 2
    assert cache.get("bot", "812") is None
    assert (cache.get("bot", "811"), cache.get("bot", "813")) == (True, True)
    clock.advance(60.0)
    assert cache.get("bot", "811") is None and len(cache) == 1
    never = CapabilityCache(clock, ttl=0.0, size=2)
    never.put("bot", "811", True)
    assert never.get("bot", "811") is None
