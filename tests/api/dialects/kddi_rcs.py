"""A whole gateway with the built-in RCS platform for the KDDI +message tests: an account with
the bot, the guide's samples sent as written, and waits on the gateway's own status changes
and on a callback receiver's requests."""

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import orjson

from smsgate.bench.receiver import CallbackReceiver, Received
from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.simulator.rcs import RcsSimulator
from tests.api.harness import Running, add_account, running_gateway
from tests.fixtures.kddi_samples import Sample

BOT = "botId_dummy"  # the Postman sample's own bot; the other samples' {botId}
NAME = "kddi"
TIMEOUT = 20.0
CAPABLE = "+819012345678"  # the samples' number (the platform is told it is capable)
NOT_CAPABLE = "+817012345678"  # the simulated platform: +8170 cannot receive +message
UNINSTALLED = "+818091234567"  # +81809: capable, but the app is gone (never delivered)
# quick simulated handsets: the tests wait on events, these only make the waits short
FAST = {"delivery_delay": 0.05, "read_delay": 0.05, "reply_delay": 0.05}


@dataclass
class Statuses:
    """Every status the gateway's messages reach, as its listeners are told."""

    seen: dict[str, list[Status]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, message: Message, status: Status) -> None:
        self.seen.setdefault(message.id, []).append(status)
        self.changed.set()

    async def reach(self, message_id: str, status: Status, timeout: float = TIMEOUT) -> None:
        async with asyncio.timeout(timeout):
            while status not in self.seen.get(message_id, []):
                self.changed.clear()
                await self.changed.wait()


@dataclass
class KddiGateway:
    gw: Running
    account: Account
    statuses: Statuses

    @property
    def key(self) -> str:
        return self.gw.keys[NAME]

    @property
    def rcs(self) -> RcsSimulator:
        assert self.gw.app.rcs_simulator is not None
        return self.gw.app.rcs_simulator

    def basic(self) -> dict[str, str]:
        token = base64.b64encode(f"{NAME}:{self.key}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    async def replay(self, sample: Sample, body: Any = None, **headers: str) -> httpx.Response:
        """The sample as written (path, headers with the account's token, body), with Basic
        auth; `body` and `headers` change it."""
        sent = {**sample.headers_with(self.key), **self.basic(), **headers}
        content = orjson.dumps(sample.body if body is None else body)
        return await self.gw.client.post(sample.target(bot_id=BOT), content=content, headers=sent)

    async def status(self, msg_id: str) -> dict[str, Any]:
        path = f"/kddi/v1/fallback/rcs/bot/v1/{BOT}/messages/{msg_id}/status"
        answer = await self.gw.client.get(path, headers=self.basic())
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def stored(self, msg_id: str) -> Message:
        assert self.gw.app.gateway is not None
        return await self.gw.app.gateway.queries.message(self.account.id, msg_id.replace("-", ""))

    def sms_to(self, number: str) -> int:
        """How many SMS the simulated carrier took for `number`."""
        assert self.gw.app.simulator is not None
        digits = number.removeprefix("+")
        return sum(m.destination == digits for m in self.gw.app.simulator.messages.values())


@asynccontextmanager
async def kddi_gateway(db: str, **account: Any) -> AsyncIterator[KddiGateway]:
    """A gateway whose RCS platform takes the samples' number as capable, and an account
    with the bot (its callbacks in the kddi format)."""
    settings: dict[str, Any] = {
        "channel_timeout_interval": 0.05,
        "channel_ttl": 1.0,
        "simulator_channels": True,
    }
    async with running_gateway(db, **settings) as gw:
        simulator = gw.app.rcs_simulator
        assert simulator is not None and gw.app.gateway is not None
        simulator.config = replace(simulator.config, capable_prefixes=("+8190",), **FAST)
        gw.keys[NAME] = await add_account(
            gw.app, NAME, bot_id=BOT, callback_format="kddi", retention=None, **account
        )
        assert gw.app.store is not None
        found = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys[NAME]))
        assert found is not None
        statuses = Statuses()
        gw.app.gateway.listeners.append(statuses)
        yield KddiGateway(gw, found, statuses)


async def received_until(
    receiver: CallbackReceiver,
    done: Callable[[list[dict[str, Any]]], bool],
    timeout: float = TIMEOUT,
) -> list[dict[str, Any]]:
    """The JSON bodies the receiver got, one per outbox item (its attempts carry the same),
    once `done` says they are all there."""
    async with asyncio.timeout(timeout):
        while True:
            bodies = [orjson.loads(tries[0].body) for tries in deliveries(receiver).values()]
            if done(bodies):
                return bodies
            receiver.arrived.clear()
            await receiver.arrived.wait()


def deliveries(receiver: CallbackReceiver) -> dict[str, list[Received]]:
    """The requests the receiver got, by the outbox item they carried (attempts of one item)."""
    found: dict[str, list[Received]] = {}
    for request in receiver.received:
        found.setdefault(request.headers["x-smsgate-delivery"], []).append(request)
    return found
