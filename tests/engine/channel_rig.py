"""A gateway with an SMS and a rich (RCS-like) in-process connector on a real SQLite store, for
the engine's channel tests: fallback, read reports, users' events."""

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.message import Message
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.pricing import PriceList, PriceRule
from smsgate.domain.routing_tables import RouteRow
from smsgate.domain.status import Status
from smsgate.engine.billing import Billing
from smsgate.engine.clock import Clock
from smsgate.engine.commands import SendCommand
from smsgate.engine.config import EngineConfig
from smsgate.engine.gateway import Gateway
from smsgate.engine.router import EngineRouter
from smsgate.store import Store, open_store
from tests.engine.memory_connector import MemoryConnector
from tests.engine.rich_connector import RichMemoryConnector

TIMEOUT = 10.0
USER = "819012345678"
RCS_PRICE = PriceRule.from_spec({"per_segment": "0.05", "currency": "EUR", "route": "rcs"})
SMS_PRICE = PriceRule.from_spec({"per_segment": "0.01", "currency": "EUR"})
CARD = {
    "richcardMessage": {
        "message": {
            "generalPurposeCard": {
                "layout": {"cardOrientation": "VERTICAL"},
                "content": {"title": "Your parcel", "description": "Arrives today"},
            }
        }
    }
}


def in_loop(test: Callable[[Path], Awaitable[None]]) -> Callable[[Path], None]:
    """Runs an async test in a fresh event loop, bounded in time."""

    @functools.wraps(test)
    def run(tmp_path: Path) -> None:
        asyncio.run(asyncio.wait_for(test(tmp_path), 30))

    return run


@dataclass
class Rig:
    gateway: Gateway
    store: Store
    account: Account
    sms: MemoryConnector
    rcs: RichMemoryConnector
    statuses: dict[str, list[Status]]
    items: list[OutboxItem]
    changed: asyncio.Event

    async def send(self, channels: tuple[str, ...], **fields: Any) -> Message:
        command = SendCommand(
            to="+" + fields.pop("to", USER),
            text=fields.pop("text", "Your parcel arrives today"),
            channels=channels,
            content=fields.pop("content", CARD),
            **fields,
        )
        (result,) = await self.gateway.accept(self.account, [command])
        if isinstance(result, GatewayError):
            raise result
        return result

    async def wait(self, message_id: str, status: Status) -> None:
        async def reached() -> None:
            while status not in self.statuses.get(message_id, []):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(reached(), TIMEOUT)


@asynccontextmanager
async def rig(
    tmp_path: Path,
    rcs: RichMemoryConnector | None = None,
    balance: int | None = None,
    *,
    clock: Clock | None = None,
    live_limit: int = 200_000,
    config_poll_interval: float = 1.0,
) -> AsyncIterator[Rig]:
    store = await open_store(str(tmp_path / "engine.db"))
    await store.replace_routes([RouteRow("all", 0, {"connectors": [{"id": "sms"}]})])
    account = Account(
        id=new_id(),
        name="a",
        api_key_hash="x",
        rate_limit=10_000.0,
        bot_id="bot-1",
        callback_url="http://127.0.0.1:9/status",
        rcs_webhook_url="http://127.0.0.1:9/bot",
    )
    await store.create_account(account)
    if balance is not None:
        await store.set_balance(account.id, balance, time.time())
    statuses: dict[str, list[Status]] = {}
    items: list[OutboxItem] = []
    changed = asyncio.Event()

    def on_status(message: Message, status: Status) -> None:
        statuses.setdefault(message.id, []).append(status)
        changed.set()

    def on_outbox(item: OutboxItem) -> None:
        items.append(item)
        changed.set()

    sms = MemoryConnector("sms")
    rich = rcs or RichMemoryConnector("rcs")
    gateway = Gateway(
        store,
        await EngineRouter.load(store),
        {"sms": sms, "rcs": rich},
        clock=clock,
        config=EngineConfig(
            identical_window=0.0,
            channel_timeout_interval=0.05,
            live_limit=live_limit,
            config_poll_interval=config_poll_interval,
        ),
        # RCS priced per message, SMS per segment
        billing=Billing("EUR", PriceList([RCS_PRICE, SMS_PRICE])),
        on_status=[on_status],
        on_outbox=[on_outbox],
    )
    await gateway.start()
    try:
        yield Rig(gateway, store, account, sms, rich, statuses, items, changed)
    finally:
        await gateway.stop(1.0)
        await store.close()


async def history_of(store: Store, message_id: str) -> list[tuple[str, str]]:
    return [(c.status.value, c.detail) for c in await store.history(message_id)]
