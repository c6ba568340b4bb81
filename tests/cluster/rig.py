"""Nodes of one cluster in one test process: Gateways on one PostgreSQL schema, each with a
store of its own (its own node id on its connections), and a simulated carrier that counts
how many binds of its login are open at once."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from smsgate.connectors.smpp import SmppConnector
from smsgate.connectors.smpp.config import ConnectorConfig
from smsgate.domain.account import Account
from smsgate.domain.ids import new_id
from smsgate.domain.message import Message
from smsgate.domain.routing_tables import RouteRow
from smsgate.domain.status import Status
from smsgate.engine.commands import SendCommand
from smsgate.engine.config import EngineConfig
from smsgate.engine.gateway import Gateway
from smsgate.engine.router import EngineRouter
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.pdu import Bind
from smsgate.store import Store
from smsgate.store.postgres import PostgresStore
from smsgate.transport.smpp_connection import SmppConnection

SYSTEM_ID, PASSWORD = "cluster", "secret"
CONNECTOR = "carrier"


class CountingCarrier(SmscSimulator):
    """The simulated SMSC, noting the most binds of one login it ever had open at once."""

    most_bound = 0

    def _bind(self, conn: SmppConnection, pdu: Bind) -> None:
        super()._bind(conn, pdu)
        self.most_bound = max(self.most_bound, self.bound)

    @property
    def bound(self) -> int:
        return len(self._connections)


def connector_config(port: int) -> ConnectorConfig:
    return ConnectorConfig(
        id=CONNECTOR,
        host="127.0.0.1",
        port=port,
        system_id=SYSTEM_ID,
        password=PASSWORD,
        reconnect_min=0.05,
        reconnect_max=0.2,
    )


@asynccontextmanager
async def carrier(receipt_delay: float = 0.05) -> AsyncIterator[CountingCarrier]:
    sim = CountingCarrier(
        SimulatorConfig(port=0, accounts={SYSTEM_ID: PASSWORD}, receipt_delay=receipt_delay)
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def prepare(url: str) -> Account:
    """The schema, a route to the carrier and an account, as an operator would set them."""
    async with PostgresStore(url) as store:
        await store.replace_routes([RouteRow("all", 0, {"connectors": [{"id": CONNECTOR}]})])
        account = Account(id=new_id(), name="a", api_key_hash="x", rate_limit=10_000.0)
        await store.create_account(account)
    return account


@asynccontextmanager
async def node(
    url: str,
    node_id: str,
    port: int,
    lease_ttl: float = 1.5,
    outbox_wakers: tuple[Callable[[], None], ...] = (),
) -> AsyncIterator[Gateway]:
    store = PostgresStore(url, node_id=node_id)
    await store.open()

    def build(connector_id: str) -> SmppConnector:
        return SmppConnector(connector_config(port))

    gateway = Gateway(
        store,
        await EngineRouter.load(store),
        {CONNECTOR: build(CONNECTOR)},
        config=EngineConfig(identical_window=0.0),
        build_connector=build,
        node_id=node_id,
        lease_ttl=lease_ttl,
        leased=[CONNECTOR],
        outbox_wakers=outbox_wakers,
    )
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop(0.5)
        await store.close()


async def send(gateway: Gateway, account: Account, text: str = "hello") -> Message:
    (result,) = await gateway.accept(account, [SendCommand(to="+819012345678", text=text)])
    assert isinstance(result, Message), result
    return result


async def eventually(condition: Callable[[], bool], timeout: float, step: float = 0.02) -> float:
    """Seconds until `condition` held; AssertionError past `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(step)
    return time.monotonic() - start


async def statuses(store: Store, ids: list[str]) -> list[Status]:
    found = [await store.get_message(i) for i in ids]
    return [m.status if m is not None else Status.FAILED for m in found]
