"""A simulated provider of the channels beside SMS (a voice call, Viber, a Telegram code, a
Telegram bot's message, a social network's message) on one real HTTP server: the JSON API
`smsgate.connectors.providers.http_provider` documents, for all five channels at once.

- `POST /{channel}/send` with Bearer `token` and the channel's fields: 200 `{"id"}` for a
  message taken (a `ref` sent again is answered with the same id and delivered once); 400
  `invalid_field` for a missing or malformed field; 422 `invalid_number` when `to` is not a
  "+" E.164 number; 404 `not_reachable` for a number starting with an `unreachable_prefixes`
  entry (no account on the channel); 429 with Retry-After above `rate` (per channel); 401 for
  a wrong token; 413 past `max_body_bytes`; `outage_status`, when set, for every request;
  500 for the next `fail_next` sends (a passing fault).
- `GET /{channel}/health`: 200 `{"status": "ok"}` (or the refusals above).

Each message taken is reported to the channel's webhook URL with Bearer `webhook_token`,
`delays[channel]` seconds later: `{"id", "status", "error"}`. A call is `answered` (error
"000"), or `no_answer` (error "006") for a number starting with a `no_answer_prefixes` entry
and a `no_answer_share` of the others; another channel's message is `delivered` ("000"). A
number starting with a `failing_prefixes` entry, and a `failure_share` of the rest, get
`failed` ("006", not reached) instead. A Viber, Telegram or bot message delivered is `read` a
`read_delay` later, for a `read_share` of them. Whether a message is answered, fails or is
read is drawn from `seed` and its id, and its id from `seed` and its `ref`: the same sends get
the same ids and fates on every run, whatever order they arrive in.

`received(number)` lists what a number got (answered calls, delivered messages), in order.
"""

import asyncio
import hashlib
import logging
import re
import signal
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.domain.token_bucket import TokenBucket
from smsgate.simulator.rcs_webhooks import WebhookSender
from smsgate.simulator.serving import SimulatorServer, cancel_all

log = logging.getLogger(__name__)

CHANNELS: Final = ("voice", "viber", "telegram", "bot", "social")
READ_CHANNELS: Final = frozenset({"viber", "telegram", "bot"})  # whose messages are read
VOICES: Final = ("m", "m2", "m3", "w", "w2", "w3", "w4")
REACHED: Final = "000"
NOT_REACHED: Final = "006"
_BOT_NAME: Final = re.compile(r"@[A-Za-z][A-Za-z0-9_]{4,31}")
_CODE: Final = re.compile(r"[0-9]{4,8}")
_NUMBER: Final = re.compile(r"\+[0-9]{1,15}")
_MAX_TEXT: Final = 5000
_MAX_REF: Final = 100


class _RefusedError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class ProvidersSimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8096  # 0: a free port chosen by the kernel
    token: str = "demo-providers"  # the bearer token senders must send; "" takes any
    # where a channel's reports go, "{channel}" replaced by its name ("" sends none); read at
    # each report, so it may be set after start() (once the gateway's HTTP port is known)
    webhook_url: str = ""
    webhook_urls: dict[str, str] = field(default_factory=dict)  # per channel, over webhook_url
    webhook_token: str = "demo-providers-webhook"
    # seconds from taking a message to its report, per channel (a call rings a while)
    delays: dict[str, float] = field(
        default_factory=lambda: {
            "voice": 2.0,
            "viber": 0.3,
            "telegram": 0.2,
            "bot": 0.2,
            "social": 0.5,
        }
    )
    answer_delay: float = 0.0  # seconds before a send is answered (a slow provider)
    read_delay: float = 1.0  # seconds from delivered to read
    read_share: float = 0.8  # delivered Viber, Telegram and bot messages that are read
    failure_share: float = 0.0  # messages that end failed
    no_answer_share: float = 0.2  # calls nobody answers
    unreachable_prefixes: tuple[str, ...] = ("+7900",)  # refused at once: no account
    failing_prefixes: tuple[str, ...] = ("+7901",)  # taken, then failed
    no_answer_prefixes: tuple[str, ...] = ("+7902",)  # calls never answered
    # handsets offline: their messages wait, and expire at their valid_until (when they have one)
    offline_prefixes: tuple[str, ...] = ("+7903",)
    rate: float | None = None  # sends per second per channel; above it 429
    webhook_attempts: int = 3
    webhook_timeout: float = 5.0
    webhook_retry_delay: float = 0.2  # times the attempt number, between attempts
    webhook_queue: int = 10_000  # reports waiting to be posted; past it dropped
    recipients: int = 10_000  # numbers whose received messages are kept
    recipient_messages: int = 100  # messages kept per number
    messages: int = 100_000  # messages whose ref a repeated send still finds
    max_body_bytes: int = 65_536
    seed: int = 0

    def __post_init__(self) -> None:
        shares = (self.read_share, self.failure_share, self.no_answer_share)
        if not all(0.0 <= share <= 1.0 for share in shares):
            raise ValueError("shares must be between 0 and 1")
        unknown = (set(self.delays) | set(self.webhook_urls)) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channels {sorted(unknown)}; one of {', '.join(CHANNELS)}")
        if (
            min(self.delays.values(), default=0.0) < 0
            or min(self.read_delay, self.answer_delay) < 0
        ):
            raise ValueError("delays must not be negative")
        bounds = (
            self.webhook_attempts,
            self.webhook_queue,
            self.recipients,
            self.recipient_messages,
            self.messages,
            self.max_body_bytes,
        )
        if min(bounds) < 1:
            raise ValueError("attempts, queue sizes and record sizes must be at least 1")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive")
        if self.webhook_timeout <= 0 or self.webhook_retry_delay < 0:
            raise ValueError("webhook_timeout must be positive, webhook_retry_delay not negative")

    def delay(self, channel: str) -> float:
        return self.delays.get(channel, 0.3)

    def url(self, channel: str) -> str:
        return self.webhook_urls.get(channel) or self.webhook_url.replace("{channel}", channel)


@dataclass(frozen=True, slots=True)
class Received:
    """A message as its recipient got it: the channel, the provider's id, the send's fields."""

    channel: str
    id: str
    fields: dict[str, Any]


@dataclass(slots=True)
class SimulatedMessage:
    channel: str
    id: str
    number: str
    fields: dict[str, Any]
    state: str = "accepted"
    task: "asyncio.Task[None] | None" = None


class ProvidersSimulator:
    def __init__(self, config: ProvidersSimulatorConfig) -> None:
        self.config = config
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "accepted",
                "repeated",
                "unreachable",
                "invalid",
                "rate_limited",
                "unauthorized",
                "outage",
                "faults",
                "delivered",
                "answered",
                "no_answer",
                "expired",
                "failed",
                "read",
            ),
            0,
        )
        self.outage_status: int | None = None  # answer every request with it, when set
        self.fail_next = 0  # answer that many of the next sends 500 (a passing fault)
        self._received: OrderedDict[str, deque[Received]] = OrderedDict()
        self._messages: OrderedDict[tuple[str, str], SimulatedMessage] = OrderedDict()
        self._buckets: dict[str, TokenBucket] = {}
        self._unnamed = 0  # sends without a ref, numbered
        self._webhooks: WebhookSender | None = None
        self._server = SimulatorServer("the providers simulator")
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
            name="providers simulator",
        )
        self._webhooks.start()
        app = Starlette(
            routes=[
                Route("/{channel}/send", self._send, methods=["POST"]),
                Route("/{channel}/health", self._health, methods=["GET"]),
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

    def received(self, number: str) -> list[Received]:
        """What `number` ("+7..." or digits) got, oldest first."""
        return list(self._received.get(_plus(number), ()))

    # -- the API -------------------------------------------------------------------------------

    async def _send(self, request: Request) -> Response:
        channel = request.path_params["channel"]
        if self.config.answer_delay:
            await asyncio.sleep(self.config.answer_delay)
        try:
            self._admit(request, channel)
            body = await self._body(request)
            number = _number(body.get("to"))
            fields = _fields(channel, body)
            ref = body.get("ref", "")
            if not isinstance(ref, str) or len(ref) > _MAX_REF:
                raise _RefusedError(400, "invalid_field", f"ref: at most {_MAX_REF} characters")
            self._pace(channel)
            if self.fail_next > 0:
                self.fail_next -= 1
                self.counters["faults"] += 1
                raise _RefusedError(500, "internal", "a passing fault")
            if number.startswith(self.config.unreachable_prefixes or ("\0",)):
                self.counters["unreachable"] += 1
                raise _RefusedError(404, "not_reachable", f"{number} has no {channel} account")
        except _RefusedError as refused:
            return self._refusal(refused)
        known = self._messages.get((channel, ref)) if ref else None
        if known is not None:
            self.counters["repeated"] += 1  # a retried send: the same message, delivered once
            return _json({"id": known.id}, 200)
        message = SimulatedMessage(channel, self._new_id(channel, ref), number, fields)
        self._remember(ref, message)
        message.task = asyncio.create_task(self._lifecycle(message))
        self.counters["accepted"] += 1
        return _json({"id": message.id}, 200)

    async def _health(self, request: Request) -> Response:
        try:
            self._admit(request, request.path_params["channel"])
        except _RefusedError as refused:
            return self._refusal(refused)
        return _json({"status": "ok"}, 200)

    def _admit(self, request: Request, channel: str) -> None:
        if channel not in CHANNELS:
            raise _RefusedError(404, "unknown_channel", f"no channel {channel[:20]!r}")
        if self.outage_status is not None:
            self.counters["outage"] += 1
            raise _RefusedError(self.outage_status, "unavailable", "the provider is unavailable")
        token = self.config.token
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if token and (scheme.lower() != "bearer" or given.strip() != token):
            self.counters["unauthorized"] += 1
            raise _RefusedError(401, "unauthorized", "a valid bearer token is required")

    async def _body(self, request: Request) -> dict[str, Any]:
        limit = self.config.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _RefusedError(413, "too_large", f"the body is over {limit} bytes")
            chunks.append(chunk)
        try:
            body = orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError:
            raise _RefusedError(400, "invalid_field", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise _RefusedError(400, "invalid_field", "the body is not a JSON object")
        return body

    def _pace(self, channel: str) -> None:
        rate = self.config.rate
        if rate is None:
            return
        now = asyncio.get_running_loop().time()
        bucket = self._buckets.get(channel)
        if bucket is None:
            bucket = self._buckets[channel] = TokenBucket(rate, now)
        if not bucket.take(now):
            self.counters["rate_limited"] += 1
            raise _RefusedError(429, "rate_limited", f"over {rate} messages per second")

    def _refusal(self, refused: _RefusedError) -> Response:
        if refused.code == "invalid_field":
            self.counters["invalid"] += 1
        headers = None
        if refused.status == 429:
            headers = {"Retry-After": f"{1.0 / (self.config.rate or 1.0):.3f}"}
        body = {"error": {"code": refused.code, "message": str(refused)}}
        return _json(body, refused.status, headers)

    def _new_id(self, channel: str, ref: str) -> str:
        if not ref:
            self._unnamed += 1
            ref = f"#{self._unnamed}"
        digest = hashlib.blake2b(f"{self.config.seed}:{channel}:{ref}".encode(), digest_size=10)
        return f"{channel}-{digest.hexdigest()}"

    def _remember(self, ref: str, message: SimulatedMessage) -> None:
        self._messages[(message.channel, ref or message.id)] = message
        while len(self._messages) > self.config.messages:
            _, oldest = self._messages.popitem(last=False)
            if oldest.task is not None:
                oldest.task.cancel()

    def _draw(self, message: SimulatedMessage, purpose: str) -> float:
        """The message's fixed draw in [0, 1) for `purpose`."""
        text = f"{self.config.seed}:{message.id}:{purpose}"
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2.0**64

    # -- what happens to a message -------------------------------------------------------------

    async def _lifecycle(self, message: SimulatedMessage) -> None:
        config = self.config
        number = message.number
        valid_until = message.fields.get("valid_until")
        if number.startswith(config.offline_prefixes or ("\0",)):
            if valid_until is None:
                return  # waits for ever (until it leaves the bounded record)
            await asyncio.sleep(max(0.0, valid_until - time.time()))
            self._report(message, "expired", NOT_REACHED)
            return
        await asyncio.sleep(config.delay(message.channel))  # the simulated network's time
        if valid_until is not None and time.time() > valid_until:
            self._report(message, "expired", NOT_REACHED)
            return
        if message.channel == "voice" and (
            number.startswith(config.no_answer_prefixes or ("\0",))
            or self._draw(message, "answer") < config.no_answer_share
        ):
            self._report(message, "no_answer", NOT_REACHED)
            return
        if (
            number.startswith(config.failing_prefixes or ("\0",))
            or self._draw(message, "failure") < config.failure_share
        ):
            self._report(message, "failed", NOT_REACHED)
            return
        self._receive(message)
        self._report(message, "answered" if message.channel == "voice" else "delivered", REACHED)
        if message.channel not in READ_CHANNELS or self._draw(message, "read") >= config.read_share:
            return
        await asyncio.sleep(config.read_delay)
        self._report(message, "read", REACHED)

    def _receive(self, message: SimulatedMessage) -> None:
        inbox = self._received.get(message.number)
        if inbox is None:
            inbox = self._received[message.number] = deque(maxlen=self.config.recipient_messages)
            while len(self._received) > self.config.recipients:
                self._received.popitem(last=False)
        else:
            self._received.move_to_end(message.number)
        inbox.append(Received(message.channel, message.id, message.fields))

    def _report(self, message: SimulatedMessage, status: str, error: str) -> None:
        message.state = status
        self.counters[status] += 1
        url = self.config.url(message.channel)  # read at each report: it may be set late
        if self._webhooks is not None and url:
            event = {"id": message.id, "status": status, "error": error}
            self._webhooks.post(url, message.number, event)


def _fields(channel: str, body: dict[str, Any]) -> dict[str, Any]:
    """The fields of a send to `channel`, checked as the provider checks them."""
    fields: dict[str, Any] = {"from": _string(body, "from", required=False)}
    valid_until = body.get("valid_until")
    if valid_until is not None:
        if not isinstance(valid_until, int) or isinstance(valid_until, bool) or valid_until < 0:
            raise _RefusedError(400, "invalid_field", "valid_until: Unix seconds")
        fields["valid_until"] = valid_until
    if channel == "telegram":
        fields["code"] = _matching(body, "code", _CODE, "4 to 8 digits")
        return fields
    if channel == "voice":
        voice = body.get("voice", "m")
        if voice not in VOICES:
            raise _RefusedError(400, "invalid_field", f"voice: one of {', '.join(VOICES)}")
        fields["voice"] = voice
        if "code" in body:
            fields["code"] = _matching(body, "code", _CODE, "4 to 8 digits")
            return fields
    if channel == "bot":
        fields["bot"] = _matching(body, "bot", _BOT_NAME, "a bot's @name")
    fields["text"] = _string(body, "text", required=True)
    return fields


def _string(body: dict[str, Any], key: str, *, required: bool) -> str:
    value = body.get(key, "")
    if not isinstance(value, str) or len(value) > _MAX_TEXT or (required and not value.strip()):
        raise _RefusedError(400, "invalid_field", f"{key}: a text of 1 to {_MAX_TEXT} characters")
    return value


def _matching(body: dict[str, Any], key: str, pattern: re.Pattern[str], meaning: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _RefusedError(400, "invalid_field", f"{key}: {meaning}")
    return value


def _number(value: object) -> str:
    if not isinstance(value, str) or not _NUMBER.fullmatch(value):
        raise _RefusedError(422, "invalid_number", "to must be an E.164 number with its +")
    return value


def _plus(number: str) -> str:
    return number if number.startswith("+") else "+" + number


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


async def serve(
    config: ProvidersSimulatorConfig, stop: asyncio.Event | None = None
) -> dict[str, int]:
    """Run the simulator until `stop` is set (by default: until SIGINT or SIGTERM), printing
    its address first; returns its counters. What `smsgate providers-simulator` runs."""
    simulator = ProvidersSimulator(config)
    await simulator.start()
    print(
        f"simulated channel providers listening on {simulator.base_url} (Ctrl-C stops it)",
        flush=True,
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await simulator.stop()
    return dict(simulator.counters)


__all__ = [
    "CHANNELS",
    "NOT_REACHED",
    "REACHED",
    "VOICES",
    "ProvidersSimulator",
    "ProvidersSimulatorConfig",
    "Received",
    "serve",
]
