"""A message whose receipt never comes: once its connector's receipt timeout after the end of
its validity has passed, its parts still `sent` end `expired` with the callback owed, on both
store backends, after a restart too; a receipt that comes later is recorded, not applied."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.app import SIMULATOR_ID
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from smsgate.engine.ports import DeliveryReport
from tests.api.harness import Running, running_gateway
from tests.api.test_outbox_items import account_of, owed
from tests.store.backends import BACKENDS, StoreBackend, store_backend

VALIDITY = 600.0
TIMEOUT = 3600.0  # the connector's default receipt_timeout
# the simulated carrier keeps its receipts far beyond the test: none ever comes
NO_RECEIPTS = {"simulator_receipt_delay": 3600.0, "receipt_timeout_interval": 3600.0}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


async def sent_message(gw: Running) -> str:
    """A message the carrier accepted, whose receipt is not coming."""
    assert gw.app.gateway is not None
    sent = asyncio.Event()

    def on_status(message: Message, status: Status) -> None:
        if status is Status.SENT:
            sent.set()

    gw.app.gateway.listeners.append(on_status)
    response = await gw.send(callback_url="https://client.example/cb", validity=int(VALIDITY))
    assert response.status_code == 202, response.text
    await asyncio.wait_for(sent.wait(), 10)
    await gw.app.gateway.writer.drain()
    return str(response.json()["id"])


def test_a_message_without_a_receipt_expires_with_its_callback(backend: StoreBackend) -> None:
    async def main() -> None:
        clock = ManualClock(time.time())
        async with running_gateway(backend.url, clock, **NO_RECEIPTS) as gw:
            assert gw.app.gateway is not None and gw.app.store is not None
            job = gw.app.gateway.receipt_timeouts
            message_id = await sent_message(gw)
            clock.advance(VALIDITY + TIMEOUT - 5)
            assert await job.run_once() == 0  # not yet
            clock.advance(10)
            assert await job.run_once() == 1
            assert (await gw.wait_final([message_id], 10)) == {message_id: Status.EXPIRED}
            assert await job.run_once() == 0  # a part already final is left alone
            await gw.app.gateway.writer.drain()
            stored = await gw.app.store.get_message(message_id)
            assert stored is not None and stored.status is Status.EXPIRED
            assert stored.error_code == "expired" and stored.parts[0].status is Status.EXPIRED
            account = await account_of(gw, "a")
            items = await owed(gw, account, message_id)
            assert [i.event for i in items] == ["queued", "sent", "expired"]

            # the carrier's receipt comes after all: recorded in the history, not applied
            upstream_id = stored.parts[0].upstream_id
            assert upstream_id is not None
            late = DeliveryReport((upstream_id,), Status.DELIVERED, "DELIVRD")
            await gw.app.gateway.outcomes.receipt(SIMULATOR_ID, late)
            await gw.app.gateway.writer.drain()
            after = await gw.app.store.get_message(message_id)
            assert after is not None and after.status is Status.EXPIRED
            history = await gw.app.store.history(message_id)
            assert [(h.status, h.applied) for h in history][-2:] == [
                (Status.EXPIRED, True),
                (Status.DELIVERED, False),
            ]
            assert [i.event for i in await owed(gw, account, message_id)][-1] == "expired"

    asyncio.run(main())


def test_the_timeout_is_found_from_the_store_after_a_restart(backend: StoreBackend) -> None:
    async def main() -> None:
        clock = ManualClock(time.time())
        async with running_gateway(backend.url, clock, **NO_RECEIPTS) as gw:
            message_id = await sent_message(gw)
        clock.advance(VALIDITY + TIMEOUT + 1)
        # a new process: nothing in memory, the pass at start finds it in the store
        async with running_gateway(backend.url, clock, **NO_RECEIPTS) as gw:
            assert gw.app.gateway is not None and gw.app.store is not None
            await asyncio.wait_for(gw.app.gateway.receipt_timeouts.passed.wait(), 10)
            await gw.app.gateway.writer.drain()
            stored = await gw.app.store.get_message(message_id)
            assert stored is not None and stored.status is Status.EXPIRED
            assert gw.app.gateway.receipt_timeouts.expired == 1

    asyncio.run(main())
