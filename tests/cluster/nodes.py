"""Two gateways sharing one store, in one process: each with a store (its own connections,
its own writer) and an engine of its own, as two `smsgate serve` nodes on one PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from smsgate.domain.account import Account
from smsgate.domain.ids import new_id
from smsgate.domain.routing_tables import RouteRow
from smsgate.engine.config import EngineConfig
from smsgate.engine.gateway import Gateway
from smsgate.engine.router import EngineRouter
from smsgate.store import Store
from tests.engine.memory_connector import MemoryConnector
from tests.store.backends import StoreBackend


@dataclass
class Node:
    gateway: Gateway
    store: Store
    connector: MemoryConnector


@asynccontextmanager
async def node(backend: StoreBackend, **settings: Any) -> AsyncIterator[Node]:
    store = backend.make()
    await store.open()
    connector = MemoryConnector("m", hold=True)
    try:
        gateway = Gateway(
            store,
            await EngineRouter.load(store),
            {"m": connector},
            config=EngineConfig(**{"config_poll_interval": 0.2, **settings}),
        )
        await gateway.start()
        try:
            yield Node(gateway, store, connector)
        finally:
            await gateway.stop(0.5)
    finally:
        await store.close()


@asynccontextmanager
async def two_nodes(
    backend: StoreBackend, rate: float = 10_000.0, **settings: Any
) -> AsyncIterator[tuple[Node, Node, Account]]:
    """Two nodes on one store with one route and one account (`rate` messages per second)."""
    account = Account(id=new_id(), name="a", api_key_hash="x", rate_limit=rate)
    setup = backend.make()
    await setup.open()
    try:
        await setup.replace_routes([RouteRow("all", 0, {"connectors": [{"id": "m"}]})])
        await setup.create_account(account)
    finally:
        await setup.close()
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(node(backend, **settings))
        second = await stack.enter_async_context(node(backend, **settings))
        yield first, second, account
