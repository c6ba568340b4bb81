"""Two real `python -m smsgate serve` processes on one PostgreSQL database and one simulated
carrier: the first holds the carrier's bind; messages accepted on it, then a kill -9 of it,
and every one of them reaches `delivered` through the second, with the carrier never seeing
two binds of its login at once. Then a SIGTERM drains the second: its lease is released and
its node row says gone."""

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smsgate.domain.account import Account, hash_api_key, new_api_key
from smsgate.domain.ids import new_id
from smsgate.domain.status import Status
from smsgate.store.postgres import PostgresStore
from tests.cluster.rig import CONNECTOR, PASSWORD, SYSTEM_ID, carrier, eventually, statuses
from tests.store.backends import store_backend

SRC = Path(__file__).resolve().parents[2] / "src"
TTL = 2.0
MESSAGES = 20
TIMEOUT = 60.0


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with store_backend("postgres", tmp_path) as backend:
        yield backend.url


def _config(url: str, node_id: str, carrier_port: int) -> str:
    return f"""
db = "{url}"
http_port = 0
smpp_port = 0
node_id = "{node_id}"
lease_ttl = {TTL}
drain_grace = 0.2
drain_timeout = 2.0

[engine]
identical_window = 0.0

[[connectors]]
id = "{CONNECTOR}"
host = "127.0.0.1"
port = {carrier_port}
system_id = "{SYSTEM_ID}"
password = "{PASSWORD}"
reconnect_min = 0.05
reconnect_max = 0.2

[[routes]]
id = "all"
connectors = [{{ id = "{CONNECTOR}" }}]
"""


class Node:
    def __init__(self, process: asyncio.subprocess.Process, base: str) -> None:
        self.process = process
        self.base = base


async def _start(directory: Path, config: str) -> Node:
    directory.mkdir()
    (directory / "smsgate.toml").write_text(config)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsgate",
        "serve",
        "--config",
        "smsgate.toml",
        cwd=directory,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=asyncio.subprocess.PIPE,
        stderr=(directory / "stderr.log").open("wb"),
    )
    assert process.stdout is not None
    async with asyncio.timeout(20):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                log = (directory / "stderr.log").read_text()[-3000:]
                raise AssertionError(f"the node exited before it was ready:\n{log}")
            if "HTTP API" in line:
                return Node(process, line.split()[2])


def test_messages_of_a_node_killed_with_sigkill_are_delivered_by_the_other(
    url: str, tmp_path: Path
) -> None:
    key = new_api_key()

    async def main() -> None:
        account = Account(id=new_id(), name="a", api_key_hash=hash_api_key(key), rate_limit=1e4)
        async with PostgresStore(url) as store:
            await store.create_account(account)
        # receipts come a second after each submit: the killed node leaves parts waiting
        async with carrier(receipt_delay=1.0) as sim, PostgresStore(url) as store:
            port = sim.config.port
            a = await _start(tmp_path / "a", _config(url, "core-proc-a", port))
            b: Node | None = None
            try:
                await eventually(lambda: sim.bound == 1, 5.0)
                b = await _start(tmp_path / "b", _config(url, "core-proc-b", port))
                auth = {"Authorization": f"Bearer {key}"}
                async with httpx.AsyncClient(base_url=a.base, headers=auth, timeout=5) as client:
                    ids = []
                    for i in range(MESSAGES):
                        sent = await client.post(
                            "/v1/messages", json={"to": "+819012345678", "text": f"m{i}"}
                        )
                        assert sent.status_code == 202, sent.text
                        ids.append(sent.json()["id"])
                await eventually(lambda: sim.counters["submitted"] >= MESSAGES // 2, 5.0)
                a.process.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                await a.process.wait()
                async with asyncio.timeout(20):
                    while await statuses(store, ids) != [Status.DELIVERED] * MESSAGES:
                        await asyncio.sleep(0.1)
                took = time.monotonic() - killed
                assert took < 3 * TTL + 2, took
                assert sim.most_bound == 1  # one bind of the login at a time, throughout
                holders = await store.lease_holders("connector:")
                assert holders == {f"connector:{CONNECTOR}": "core-proc-b"}
                # the second drains on SIGTERM: lease released, node gone, nothing left owned
                b.process.send_signal(signal.SIGTERM)
                async with asyncio.timeout(15):
                    assert await b.process.wait() == 0
                assert await store.lease_holders("connector:") == {}
                gone = await store.pool.fetchval("SELECT state FROM nodes WHERE id = 'core-proc-b'")
                assert gone == "gone"
                print(
                    f"delivered {MESSAGES} after kill -9 in {took:.2f} s;"
                    f" carrier duplicates {sim.counters['duplicates']}"
                )
            finally:
                for node in (a, b):
                    if node is not None and node.process.returncode is None:
                        node.process.kill()
                        await node.process.wait()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
