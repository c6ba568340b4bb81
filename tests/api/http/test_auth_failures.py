"""Wrong credentials are counted per address across every HTTP interface: past
http_auth_failures the address is refused (address_blocked, 429) before any key is looked up,
for longer each time it comes back; the failures are logged at WARNING, one line per interval
with a count, never one per request."""

import asyncio
import logging
from pathlib import Path

import pytest

from smsgate.api.http.address_guard import MAX_BLOCK, AddressGuard
from smsgate.domain.errors import GatewayError
from smsgate.engine.clock import ManualClock
from tests.api.harness import running_gateway

WRONG = {"Authorization": "Bearer not-a-key"}


def test_wrong_keys_block_the_address_on_every_interface(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        db = str(tmp_path / "gateway.db")
        async with running_gateway(db, http_auth_failures=5) as gw:
            for _ in range(5):
                wrong = await gw.client.get("/v1/messages", headers=WRONG)
                assert wrong.status_code == 401
            # now refused even with the right key, and on the other interfaces too
            right = await gw.client.get("/v1/messages", headers=gw.headers("a"))
            assert right.status_code == 429
            assert right.json()["error"]["code"] == "address_blocked"
            assert right.headers["retry-after"] == "1"
            reach = await gw.client.get(
                "/rest/messaging/v1/list", headers={"ApiUser": "a", "ApiKey": gw.keys["a"]}
            )
            assert reach.status_code == 429
            smsc = await gw.client.get(f"/sys/balance.php?apikey={gw.keys['a']}&fmt=3")
            assert smsc.json()["error_code"] == 4

    with caplog.at_level(logging.WARNING, logger="smsgate.api.http.auth"):
        asyncio.run(main())
    lines = [r for r in caplog.records if r.name == "smsgate.api.http.auth"]
    assert len(lines) == 1  # five failures, one line
    assert lines[0].levelno == logging.WARNING
    assert "authentication failures" in lines[0].getMessage()


def test_an_address_blocked_again_is_blocked_twice_as_long() -> None:
    clock = ManualClock()
    guard = AddressGuard(clock, limit=2, window=60)
    address = "198.51.100.1"

    def blocked_for() -> float:
        """Seconds until `address` is let in again."""
        start = clock.time()
        while True:
            try:
                guard.check(address)
                return clock.time() - start
            except GatewayError as error:
                assert error.code == "address_blocked"
                clock.advance(1)

    for expected in (60, 120, 240):
        guard.refused(address)
        guard.refused(address)
        assert blocked_for() == expected
    # quiet for as long as its last block: forgiven, the next block is the first again
    clock.advance(240)
    guard.check(address)
    guard.refused(address)
    guard.refused(address)
    assert blocked_for() == 60
    assert guard.block(30) == MAX_BLOCK
