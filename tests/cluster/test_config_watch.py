"""The configuration watch on a real SQLite store: a change runs the reloads of its kind once,
one reload registered for several kinds runs once, and a reload that fails is tried again."""

import asyncio
from decimal import Decimal
from pathlib import Path

from smsgate.domain.pricing import PriceRule
from smsgate.domain.routing_tables import RouteRow
from smsgate.engine.config_watch import ConfigWatch
from smsgate.store import open_store


def test_reloads_run_for_the_kinds_that_moved_and_a_failed_one_again(tmp_path: Path) -> None:
    async def body() -> None:
        store = await open_store(str(tmp_path / "watch.db"))
        try:
            watch = ConfigWatch(store, interval=1.0)
            runs: list[str] = []
            failures = [RuntimeError("the store is away")]

            def routing() -> None:
                runs.append("routing")

            async def prices() -> None:
                if failures:
                    raise failures.pop()
                runs.append("prices")

            for kind in ("routes", "carriers"):
                watch.on_change(kind, routing)
            watch.on_change("prices", prices)
            await watch.prime()
            assert await watch.run_once() == 0 and runs == []

            await store.replace_routes([RouteRow("all", 0, {"connectors": []})])
            await store.replace_carrier_prefixes([("8190", "testnet")], "test")
            await store.replace_prices([PriceRule(Decimal("0.05"), "EUR")])
            assert await watch.run_once() == 3
            assert runs == ["routing"]  # once for both kinds; prices failed
            assert watch.reloads == {"routes": 1, "carriers": 1}
            assert await watch.run_once() == 1  # prices again, now with success
            assert runs == ["routing", "prices"]
            assert await watch.run_once() == 0
        finally:
            await store.close()

    asyncio.run(asyncio.wait_for(body(), 20))
