"""A customer that keeps refusing deliver_sm: its receipts back off by the outbox's retry
policy, become dead letters after the last attempt (counted in /metrics), and go out once
replayed, each attempt recorded with the customer's command_status; on both store backends,
with a real SMPP client on loopback."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.api.smpp_server.ids import engine_id
from smsgate.domain.outbox import AttemptOutcome, OutboxItem, OutboxState
from smsgate.domain.status import Status
from smsgate.outbox import RetryPolicy
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import DeliverSm, Request
from smsgate.transport.smpp_connection import SmppConnection
from tests.api.harness import Running, running_gateway
from tests.api.smpp_server.customers import TIMEOUT, Customer, add_smpp_account, smpp_port, submit
from tests.store.backends import BACKENDS, StoreBackend, store_backend

S = CommandStatus


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


class Refusing(Customer):
    """Answers deliver_sm with ESME_RX_T_APPN while `refusing`, then with ESME_ROK."""

    refusing = True

    def handle(self, connection: SmppConnection, pdu: Request) -> None:
        if isinstance(pdu, DeliverSm):
            self.delivered.append(pdu)
            self.arrived.set()
            connection.send(pdu.response(S.ESME_RX_T_APPN if self.refusing else 0))
        else:
            connection.send(pdu.response())


class Outcomes:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.changed = asyncio.Event()

    def add(self, item: OutboxItem, outcome: str) -> None:
        self.seen.append(outcome)
        self.changed.set()

    async def until(self, outcome: str, count: int) -> None:
        async with asyncio.timeout(TIMEOUT):
            while self.seen.count(outcome) < count:
                self.changed.clear()
                await self.changed.wait()


def test_a_customer_refusing_receipts_gets_them_as_dead_letters(backend: StoreBackend) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            await scenario(gw)

    async def scenario(gw: Running) -> None:
        account = await add_smpp_account(gw.app, "alice")
        assert gw.app.smpp is not None and gw.app.store is not None
        store, delivery = gw.app.store, gw.app.smpp.delivery
        delivery.policy = RetryPolicy(first_delay=0.05, factor=1.0, max_delay=0.05, jitter=0.0,
                                      max_attempts=3, max_age=None)  # fmt: skip
        delivery.config.poll_interval = 0.02
        outcomes = Outcomes()
        delivery.on_settled = outcomes.add
        customer = Refusing()
        connection = await customer.bind(smpp_port(gw.app), "alice")
        answers = [await connection.call(submit(f"refused {i}")) for i in range(2)]
        ids = [engine_id(a.message_id) for a in answers]
        assert await gw.wait_final(ids) == dict.fromkeys(ids, Status.DELIVERED)
        await outcomes.until("abandoned", 2)
        assert outcomes.seen.count("retried") == 4  # three attempts each, then given up
        assert len(customer.delivered) == 6
        dead = await store.dead_letters(channel="smpp", account_id=account.id)
        assert sorted(d.subject_id for d in dead) == sorted(ids)
        for item in dead:
            assert item.state is OutboxState.ABANDONED and item.attempts == 3
            assert item.last_error == f"deliver_sm refused with status {S.ESME_RX_T_APPN:#x}"
        metrics = (await gw.client.get("/metrics")).text
        assert 'smsgate_outbox_dead_letters_total{channel="smpp"} 2' in metrics
        assert 'smsgate_outbox_dead_letters_total{channel="http"} 0' in metrics
        # the customer fixed its side: the receipts, replayed, are delivered
        customer.refusing = False
        now = gw.app.gateway.clock.time() if gw.app.gateway else 0.0
        assert await store.outbox_replay(None, now, channel="smpp") == 2
        delivery.wake()
        await outcomes.until("done", 2)
        assert len(customer.delivered) == 8
        assert await store.dead_letters(channel="smpp") == []
        attempts = await store.outbox_attempts([item.id for item in dead])
        refused = S.ESME_RX_T_APPN
        for item in dead:
            recorded = attempts[item.id]
            assert [(a.attempt, a.outcome, a.code) for a in recorded] == [
                (1, AttemptOutcome.RETRY, refused), (2, AttemptOutcome.RETRY, refused),
                (3, AttemptOutcome.DEAD, refused), (1, AttemptOutcome.DELIVERED, S.ESME_ROK),
            ]  # fmt: skip
            assert all(a.duration is not None and 0 <= a.duration < TIMEOUT for a in recorded)
        await connection.unbind_and_close()

    asyncio.run(main())
