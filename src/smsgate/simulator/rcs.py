"""A simulated RCS (+message) platform: the MaaP-style chatbot API on a real HTTP server.

It plays the platform an RCS connector sends through (`smsgate.connectors.rcs` documents the
API), with Bearer `token`:

- `POST /bot/v1/{botId}/messages` takes a message for a capable number (202 with its msgId;
  a msgId the bot chose is kept, and the same one sent again is answered without a second
  delivery), 404 for a number that cannot receive RCS, 429 with Retry-After above
  `rate_per_bot`, 401 for a wrong token, 400 for a malformed body, 413 past `max_body_bytes`.
- `PUT /bot/v1/{botId}/messages/{msgId}/status` with status "cancelled" revokes a message not
  yet delivered (204), 409 with the message's status once it reached the handset (or failed),
  404 for a msgId it does not know.
- `GET /bot/v1/{botId}/contactCapabilities?userContact=+81...`: 200 with the capabilities, 404.

Which numbers can receive RCS: those starting with a `not_capable_prefixes` entry cannot, those
with an `uninstalled_prefixes` one answer capable but never deliver (the message stays sent,
as on a handset whose app was removed), those with a `capable_prefixes` one can, and any other
number can with probability `capable_share`, drawn once per number from `seed`.

Each message accepted is reported to `webhook_url` (Bearer `webhook_token`): sent at once,
delivered after `delivery_delay` (or failed, for a `failure_share` of them), displayed
`read_delay` later (for a `read_share`); then the user may tap the message's first suggestion
(`tap_share`, with its postback) or write a text reply (`reply_share`). A user's first message
from a bot comes with a newUser event. `handset(number)` lists what a number's handset
received, in order; `outage_status`, when set, answers every API request with that status.
"""

import asyncio
import logging
import random
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.domain.token_bucket import TokenBucket
from smsgate.simulator.rcs_handsets import (
    Handsets,
    Reach,
    Received,
    capable_draw,
    first_suggestion,
)
from smsgate.simulator.rcs_webhooks import WebhookSender
from smsgate.simulator.serving import SimulatorServer, cancel_all

log = logging.getLogger(__name__)

# what a message may carry; one of them must be there
CONTENT_KINDS: Final = (
    "textMessage",
    "fileMessage",
    "audioMessage",
    "richcardMessage",
    "geolocationPushMessage",
)
CAPABILITIES: Final = ["chat", "fileTransfer", "geolocationPush", "chatBotCommunication"]
_REACHED: Final = frozenset({"delivered", "displayed"})
_MAX_DIGITS: Final = 15


class _RefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class RcsSimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8095  # 0: a free port chosen by the kernel
    token: str = "demo-rcs"  # the bearer token bots must send; "" takes any
    # where events go; "" sends none. Read at each event, so it may be set after start()
    # (once the gateway's HTTP port is known)
    webhook_url: str = ""
    webhook_token: str = "demo-rcs-webhook"
    capable_share: float = 0.8  # numbers outside the prefixes below that can receive RCS
    capable_prefixes: tuple[str, ...] = ()
    not_capable_prefixes: tuple[str, ...] = ("+8170",)
    uninstalled_prefixes: tuple[str, ...] = ("+81809",)
    delivery_delay: float = 0.3  # seconds from acceptance to delivered
    read_delay: float = 1.0  # seconds from delivered to displayed
    read_share: float = 1.0  # delivered messages the user reads
    failure_share: float = 0.0  # messages to capable numbers that end failed
    tap_share: float = 0.5  # read messages with a suggestion whose first one the user taps
    reply_share: float = 0.1  # other read messages the user answers with a text
    reply_delay: float = 0.5  # seconds from displayed to the tap or the reply
    reply_texts: tuple[str, ...] = ("OK", "Thank you", "See you then")
    new_user_events: bool = True
    rate_per_bot: float | None = None  # messages per second per bot; above it 429
    webhook_attempts: int = 3
    webhook_timeout: float = 5.0
    webhook_retry_delay: float = 0.2  # times the attempt number, between attempts
    webhook_queue: int = 10_000  # events waiting to be posted; past it dropped
    handsets: int = 10_000  # numbers whose received messages are kept
    handset_messages: int = 100  # messages kept per number
    messages: int = 100_000  # messages whose state revoke and repeated sends still see
    max_body_bytes: int = 65_536
    seed: int = 0
    # per bot: (bot, number) pairs already in contact, for newUser; bounded like `messages`
    contacts: int = 100_000

    def __post_init__(self) -> None:
        shares = (
            self.capable_share,
            self.read_share,
            self.failure_share,
            self.tap_share,
            self.reply_share,
        )
        if not all(0.0 <= share <= 1.0 for share in shares):
            raise ValueError("shares must be between 0 and 1")
        if min(self.delivery_delay, self.read_delay, self.reply_delay) < 0:
            raise ValueError("delays must not be negative")
        bounds = (
            self.webhook_attempts,
            self.webhook_queue,
            self.handsets,
            self.handset_messages,
            self.messages,
            self.max_body_bytes,
            self.contacts,
        )
        if min(bounds) < 1:
            raise ValueError("attempts, queue sizes and record sizes must be at least 1")
        if self.rate_per_bot is not None and self.rate_per_bot <= 0:
            raise ValueError("rate_per_bot must be positive")


@dataclass(slots=True)
class SimulatedMessage:
    msg_id: str
    bot: str
    number: str  # "+81..."
    content: dict[str, Any]
    state: str = "pending"
    task: "asyncio.Task[None] | None" = field(default=None, repr=False)


class RcsSimulator:
    def __init__(self, config: RcsSimulatorConfig | None = None) -> None:
        self.config = config = config or RcsSimulatorConfig()
        self.rng = random.Random(config.seed)
        self.handsets = Handsets(config.handsets, config.handset_messages)
        self.outage_status: int | None = None  # answer every API request with it, when set
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "accepted",
                "repeated",
                "not_capable",
                "rate_limited",
                "unauthorized",
                "malformed",
                "outage",
                "delivered",
                "displayed",
                "failed",
                "revoked",
                "revoke_refused",
                "taps",
                "replies",
                "new_users",
                "capability_queries",
            ),
            0,
        )
        self._messages: OrderedDict[str, SimulatedMessage] = OrderedDict()
        self._contacts: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._buckets: dict[str, TokenBucket] = {}
        self._webhooks: WebhookSender | None = None
        self._server = SimulatorServer("the RCS simulator")
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> int:
        """Listen; returns the port."""
        config = self.config
        self._webhooks = WebhookSender(
            config.webhook_token,
            attempts=config.webhook_attempts,
            timeout=config.webhook_timeout,
            retry_delay=config.webhook_retry_delay,
            queue_size=config.webhook_queue,
        )
        self._webhooks.start()
        base = "/bot/v1/{bot}"
        app = Starlette(
            routes=[
                Route(f"{base}/messages", self._send, methods=["POST"]),
                Route(f"{base}/messages/{{msg_id}}/status", self._revoke, methods=["PUT"]),
                Route(f"{base}/contactCapabilities", self._capabilities, methods=["GET"]),
            ]
        )
        self.port = await self._server.start(app, config.host, config.port)
        return self.port

    async def stop(self) -> None:
        await self._server.stop()
        await cancel_all(m.task for m in self._messages.values() if m.task is not None)
        if self._webhooks is not None:
            await self._webhooks.stop()
            self._webhooks = None

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def webhook_counters(self) -> dict[str, int]:
        return dict(self._webhooks.counters) if self._webhooks is not None else {}

    # -- what tests and demos look at ----------------------------------------------------------

    def reach(self, number: str) -> Reach:
        """Whether `number` ("+81..." or digits) can receive RCS."""
        number = _plus(number)
        config = self.config
        if number.startswith(config.not_capable_prefixes or ("\0",)):
            return Reach.NOT_CAPABLE
        if number.startswith(config.uninstalled_prefixes or ("\0",)):
            return Reach.UNINSTALLED
        if number.startswith(config.capable_prefixes or ("\0",)):
            return Reach.CAPABLE
        if capable_draw(config.seed, number) < config.capable_share:
            return Reach.CAPABLE
        return Reach.NOT_CAPABLE

    def handset(self, number: str) -> list[Received]:
        """What the handset of `number` received, oldest first."""
        return self.handsets.received(_plus(number))

    def message_state(self, msg_id: str) -> str | None:
        found = self._messages.get(msg_id)
        return found.state if found is not None else None

    # -- the API -------------------------------------------------------------------------------

    async def _send(self, request: Request) -> Response:
        try:
            self._admit(request)
            body = await self._body(request)
            content = body.get("RCSMessage")
            if not isinstance(content, dict) or not any(k in content for k in CONTENT_KINDS):
                raise _RefusedError(400, "RCSMessage must hold one of " + ", ".join(CONTENT_KINDS))
            number = _user_contact(body.get("messageContact"))
            bot = request.path_params["bot"]
            self._pace(bot)
            if self.reach(number) is Reach.NOT_CAPABLE:
                self.counters["not_capable"] += 1
                raise _RefusedError(404, f"{number} cannot receive RCS")
        except _RefusedError as refused:
            return self._refusal(refused)
        chosen = content.get("msgId")
        known = self._messages.get(chosen) if isinstance(chosen, str) else None
        if known is not None and known.bot == bot:
            self.counters["repeated"] += 1  # a retried send: the same message, delivered once
            return _json({"RCSMessage": {"msgId": known.msg_id, "status": known.state}}, 202)
        msg_id = chosen if isinstance(chosen, str) and chosen else self._new_id()
        message = SimulatedMessage(msg_id, bot, number, content)
        self._remember(message)
        message.task = asyncio.create_task(self._lifecycle(message))
        self.counters["accepted"] += 1
        return _json({"RCSMessage": {"msgId": msg_id, "status": "pending"}}, 202)

    async def _revoke(self, request: Request) -> Response:
        try:
            self._admit(request)
            body = await self._body(request)
            wanted = body.get("RCSMessage")
            if not isinstance(wanted, dict) or wanted.get("status") != "cancelled":
                raise _RefusedError(400, 'the body must be {"RCSMessage": {"status": "cancelled"}}')
        except _RefusedError as refused:
            return self._refusal(refused)
        message = self._messages.get(request.path_params["msg_id"])
        if message is None or message.bot != request.path_params["bot"]:
            return _json({"error": "no such message"}, 404)
        if message.state in ("pending", "sent", "cancelled"):
            if message.state != "cancelled":
                self.counters["revoked"] += 1
                message.state = "cancelled"
                if message.task is not None:
                    message.task.cancel()
            return Response(status_code=204)
        self.counters["revoke_refused"] += 1
        return _json({"RCSMessage": {"msgId": message.msg_id, "status": message.state}}, 409)

    async def _capabilities(self, request: Request) -> Response:
        try:
            self._admit(request)
            number = _number(request.query_params.get("userContact", ""))
        except _RefusedError as refused:
            return self._refusal(refused)
        self.counters["capability_queries"] += 1
        if self.reach(number) is Reach.NOT_CAPABLE:
            return _json({"error": f"{number} cannot receive RCS"}, 404)
        return _json({"capabilities": CAPABILITIES}, 200)

    def _admit(self, request: Request) -> None:
        if self.outage_status is not None:
            self.counters["outage"] += 1
            raise _RefusedError(self.outage_status, "the platform is unavailable")
        token = self.config.token
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if token and (scheme.lower() != "bearer" or given.strip() != token):
            self.counters["unauthorized"] += 1
            raise _RefusedError(401, "a valid bearer token is required")

    async def _body(self, request: Request) -> dict[str, Any]:
        limit = self.config.max_body_bytes
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                raise _RefusedError(413, f"the body is over {limit} bytes")
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.counters["malformed"] += 1
            raise _RefusedError(400, "the body is not JSON") from None
        if not isinstance(body, dict):
            self.counters["malformed"] += 1
            raise _RefusedError(400, "the body is not a JSON object")
        return body

    def _pace(self, bot: str) -> None:
        rate = self.config.rate_per_bot
        if rate is None:
            return
        now = asyncio.get_running_loop().time()
        bucket = self._buckets.get(bot)
        if bucket is None:
            bucket = self._buckets[bot] = TokenBucket(rate, now)
        if not bucket.take(now):
            self.counters["rate_limited"] += 1
            wait = max(0.001, bucket.wait_time(now))
            raise _RefusedError(429, f"over {rate} messages per second; retry in {wait:.3f} s")

    def _refusal(self, refused: _RefusedError) -> Response:
        headers = None
        if refused.status == 429:
            rate = self.config.rate_per_bot or 1.0
            headers = {"Retry-After": f"{1.0 / rate:.3f}"}
        return _json({"error": str(refused)}, refused.status, headers)

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _remember(self, message: SimulatedMessage) -> None:
        self._messages[message.msg_id] = message
        while len(self._messages) > self.config.messages:
            _, oldest = self._messages.popitem(last=False)
            if oldest.task is not None:
                oldest.task.cancel()

    # -- what happens to a message -------------------------------------------------------------

    async def _lifecycle(self, message: SimulatedMessage) -> None:
        config, rng = self.config, self.rng
        message.state = "sent"
        self._status(message)
        await asyncio.sleep(config.delivery_delay)  # the simulated network's time
        if self.reach(message.number) is Reach.UNINSTALLED:
            return  # the app is gone: it stays sent until revoked
        if rng.random() < config.failure_share:
            message.state = "failed"
            self.counters["failed"] += 1
            self._status(message)
            return
        self._first_contact(message)
        message.state = "delivered"
        self.handsets.receive(
            message.number, Received(message.bot, message.msg_id, message.content)
        )
        self.counters["delivered"] += 1
        self._status(message)
        if rng.random() >= config.read_share:
            return
        await asyncio.sleep(config.read_delay)
        message.state = "displayed"
        self.counters["displayed"] += 1
        self._status(message)
        suggestion = first_suggestion(message.content)
        if suggestion is not None and rng.random() < config.tap_share:
            await asyncio.sleep(config.reply_delay)
            self.counters["taps"] += 1
            self._user_event(message, "response", {"suggestedResponse": _response(suggestion)})
        elif config.reply_texts and rng.random() < config.reply_share:
            await asyncio.sleep(config.reply_delay)
            self.counters["replies"] += 1
            text = rng.choice(config.reply_texts)
            self._user_event(message, "message", {"textMessage": text})

    def _first_contact(self, message: SimulatedMessage) -> None:
        if not self.config.new_user_events:
            return
        pair = (message.bot, message.number)
        if pair in self._contacts:
            return
        self._contacts[pair] = None
        while len(self._contacts) > self.config.contacts:
            self._contacts.popitem(last=False)
        self.counters["new_users"] += 1
        self._post(
            message.number,
            {
                "event": "newUser",
                "botId": message.bot,
                "messageContact": {"userContact": message.number},
            },
        )

    def _status(self, message: SimulatedMessage) -> None:
        self._post(
            message.number,
            {
                "event": "messageStatus",
                "botId": message.bot,
                "RCSMessage": {
                    "msgId": message.msg_id,
                    "status": message.state,
                    "timestamp": _now(),
                },
                "messageContact": {"userContact": message.number},
            },
        )

    def _user_event(self, message: SimulatedMessage, kind: str, fields: dict[str, Any]) -> None:
        self._post(
            message.number,
            {
                "event": kind,
                "botId": message.bot,
                "RCSMessage": {"msgId": self._new_id(), **fields, "timestamp": _now()},
                "messageContact": {"userContact": message.number},
            },
        )

    def _post(self, number: str, event: dict[str, Any]) -> None:
        url = self.config.webhook_url  # read at each event: it may be set once the gateway is up
        if self._webhooks is not None and url:
            self._webhooks.post(url, number, event)


def _response(suggestion: dict[str, Any]) -> dict[str, Any]:
    """A tap on `suggestion`, as the response event carries it."""
    kind = "reply" if isinstance(suggestion.get("reply"), dict) else "action"
    tapped = suggestion[kind]
    chosen: dict[str, Any] = {"displayText": tapped.get("displayText", "")}
    if isinstance(tapped.get("postback"), dict):
        chosen["postback"] = tapped["postback"]
    return {"response": {kind: chosen}}


def _user_contact(contact: object) -> str:
    if not isinstance(contact, dict):
        raise _RefusedError(400, "messageContact must be an object")
    return _number(contact.get("userContact"))


def _number(value: object) -> str:
    """A "+81..." userContact, checked."""
    if not isinstance(value, str):
        raise _RefusedError(400, "userContact must be a string")
    digits = value.removeprefix("tel:").removeprefix("+")
    if not value.removeprefix("tel:").startswith("+") or not (
        digits.isascii() and digits.isdigit() and len(digits) <= _MAX_DIGITS
    ):
        raise _RefusedError(400, "userContact must be an E.164 number with its +")
    return "+" + digits


def _plus(number: str) -> str:
    return number if number.startswith("+") else "+" + number


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


__all__ = ["CAPABILITIES", "CONTENT_KINDS", "RcsSimulator", "RcsSimulatorConfig"]
