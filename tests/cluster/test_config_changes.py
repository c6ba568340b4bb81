"""Configuration changed by another process (the CLI writing the database) takes effect in a
running gateway within about two seconds, without a restart, on SQLite and on PostgreSQL: the
gateway polls `config_versions` every second and reloads what moved."""

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.api.harness import running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

SRC = str(Path(__file__).resolve().parents[2] / "src")
WITHIN = 2.5  # seconds: one poll interval, a reload, and the next request


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as chosen:
        yield chosen


async def smsgate(db: str, *words: str) -> str:
    """Run the CLI in a process of its own on the same database; its output."""
    env = {**os.environ, "SMSGATE_DB": db, "PYTHONPATH": SRC}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsgate",
        *words,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def seconds_until(check: Callable[[], Awaitable[bool]], limit: float) -> float:
    """Seconds from now until `check` holds, asking every 50 ms, failing past `limit`."""
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < limit, f"not in effect within {limit} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def test_a_suspend_and_a_route_import_from_the_cli_take_effect_within_seconds(
    backend: StoreBackend, tmp_path: Path
) -> None:
    async def body() -> None:
        async with running_gateway(backend.url) as gw:
            assert (await gw.send()).status_code == 202  # the key is cached now

            async def status_is(code: int, account: str = "a") -> bool:
                response = await gw.send(account)
                return response.status_code == code

            await smsgate(backend.url, "account", "suspend", "a")
            took = await seconds_until(lambda: status_is(403), WITHIN)
            # the cache alone would have kept the account for 5 seconds
            assert took < WITHIN

            # a route table with no route to Japan: account b's sends find no route
            routes = tmp_path / "routes.csv"
            routes.write_text("id,prefixes,connectors\nus,1,simulator\n")
            await smsgate(backend.url, "routes", "import", str(routes))
            await seconds_until(lambda: status_is(422, "b"), WITHIN)
            refused = await gw.send("b")
            assert refused.json()["error"]["code"] == "no_route", refused.text
            assert gw.app.gateway is not None
            reloads = gw.app.gateway.config_watch.reloads
            assert reloads.get("accounts", 0) >= 1 and reloads.get("routes", 0) >= 1

    asyncio.run(asyncio.wait_for(body(), 60))
