"""A whole gateway on loopback for end-to-end tests: store backend, simulated carrier, HTTP."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from smsgate.app import App
from smsgate.config import Config
from smsgate.domain.account import Account, hash_api_key, new_api_key
from smsgate.domain.ids import new_id
from smsgate.domain.message import Message
from smsgate.domain.status import FINAL, Status
from smsgate.engine.clock import Clock

TIMEOUT = 30.0


@dataclass
class Running:
    app: App
    client: httpx.AsyncClient
    keys: dict[str, str] = field(default_factory=dict)  # account name -> API key
    final: dict[str, Status] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def headers(self, account: str = "a") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[account]}"}

    async def send(self, account: str = "a", **body: Any) -> httpx.Response:
        body.setdefault("to", "+819012345678")
        body.setdefault("text", "Hello")
        return await self.client.post("/v1/messages", json=body, headers=self.headers(account))

    async def wait_final(self, ids: list[str], timeout: float = TIMEOUT) -> dict[str, Status]:
        """Until every message is in a final status, by the gateway's own notifications; a
        message already final in the store counts too (a restarted gateway may have finished
        its queue before this harness listened)."""
        assert self.app.store is not None
        for message_id in ids:
            if message_id not in self.final:
                stored = await self.app.store.get_message(message_id)
                if stored is not None and stored.status in FINAL:
                    self.final[message_id] = stored.status

        async def all_final() -> None:
            while not all(i in self.final for i in ids):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(all_final(), timeout)
        return {i: self.final[i] for i in ids}

    def on_change(self, message: Message, status: Status) -> None:
        if status in FINAL:
            self.final[message.id] = status
            self.changed.set()


def overtaking(app: App, urgent: str, bulk: list[str]) -> tuple[int, int]:
    """(bulk messages sent between the urgent message's arrival and its own sending, bulk
    messages sent after it), by the first part's submitted_at: when the carrier answered.

    Answered in between: what the connector already held (the window in flight, its short
    queue, the window the urgent part waited for), a few windows of 100 whatever the bulk's
    size; every bulk message still waiting in the dispatcher goes after an urgent one (without
    the priority, all would go first)."""
    assert app.gateway is not None
    live = app.gateway.live
    arrived, went = live[urgent].created_at, live[urgent].parts[0].submitted_at
    assert went is not None
    sent_at = [live[i].parts[0].submitted_at or 0.0 for i in bulk]
    return sum(arrived < t < went for t in sent_at), sum(t > went for t in sent_at)


async def add_account(app: App, name: str, rate: float = 10_000.0, **fields: Any) -> str:
    assert app.store is not None
    key = new_api_key()
    await app.store.create_account(
        Account(id=new_id(), name=name, api_key_hash=hash_api_key(key), rate_limit=rate, **fields)
    )
    return key


@asynccontextmanager
async def running_gateway(
    db: str, clock: Clock | None = None, **settings: Any
) -> AsyncIterator[Running]:
    config = Config(db=db, http_port=0, smpp_port=0, simulator=True, simulator_receipt_delay=0.01)
    # these tests send the same text to the same number again and again: the identical-request
    # window is off unless a test turns it on
    settings.setdefault("identical_window", 0.0)
    # the other channels' simulated platforms only for the tests of those channels
    settings.setdefault("simulator_channels", False)
    for name, value in settings.items():
        if hasattr(config.engine, name):
            setattr(config.engine, name, value)
        else:
            setattr(config, name, value)
    app = App(config, clock)
    await app.start()
    try:
        assert app.http is not None and app.gateway is not None
        base = f"http://127.0.0.1:{app.http.port}"
        async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
            running = Running(app, client)
            app.gateway.listeners.append(running.on_change)
            running.keys["a"] = await add_account(app, "a")
            running.keys["b"] = await add_account(app, "b")
            yield running
    finally:
        await app.stop()
