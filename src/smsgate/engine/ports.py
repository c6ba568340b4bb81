"""What the engine needs from a channel, and what a channel tells it back.

A connector (SMS over SMPP, and whatever channel comes next) is handed neutral `OutboundPart`s
and reports through `ConnectorEvents`: accepted with the channel's id for the part, failed with
an entry of the error catalog, a delivery report, an inbound message part. The engine knows
nothing of a channel's protocol: each connector translates to and from its own.

Every event is called on the event loop. What `receipt` and `inbound` return is awaited before
the connector acknowledges the report to its peer, so the engine persists first; if they raise
(or time out) the connector must have the peer report it again later. `receipt` may return a
future rather than a coroutine: most reports are applied without waiting for anything but the
write, and a future costs less than a task.
"""

from collections.abc import Awaitable, Set
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, Protocol, TypeGuard, runtime_checkable

from smsgate.domain.status import Status
from smsgate.text import Concat, Sar


class PartKey(NamedTuple):
    """Identifies a part for the engine: its message id and 1-based segment number."""

    message_id: str
    seq: int


@dataclass(frozen=True, slots=True)
class OutboundPart:
    """One part (segment) of a message, as the engine hands it to a connector."""

    key: PartKey
    source: str
    destination: str  # E.164 digits; an e-mail address for the e-mail channel
    body: bytes  # the part's encoded user data, its user data header first when `udhi`
    text: str = ""  # the whole message's text, for channels that carry text rather than octets
    source_ton: int = 0
    source_npi: int = 0
    data_coding: int = 0
    udhi: bool = False
    receipt: bool = True  # a delivery report is wanted
    priority: int = 0  # 0 (bulk) to 3 (urgent)
    valid_until: float | None = None  # Unix seconds; None: the channel's default
    sar: Sar | None = None  # concatenation numbers, for channels that send them beside the body
    # a rich channel's content (RCS: the RCSMessage object, validated by smsgate.domain.rcs;
    # another channel's own fields: an e-mail's "subject", a call's "voice", a Telegram bot's
    # "bot", a Telegram code's "code"); None for SMS. For RCS `source` is the sending bot's id.
    content: dict[str, Any] | None = None
    channel: str = "sms"  # the message's channel ("ping": a silent SMS through SMS connectors)
    protocol_id: int = 0  # SMS: the TP-PID (0x40 for a ping: the handset shows nothing)


@dataclass(frozen=True, slots=True)
class InboundPart:
    """A mobile-originated message, or one part of a concatenated one."""

    source: str
    destination: str
    data_coding: int
    body: bytes  # without any user data header
    concat: Concat | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a channel learnt about a part after accepting it.

    `carrier_ids` are the forms the channel's id for the part may be matched under, the usual
    one first; `status` is None when the report says nothing usable (it is then counted and
    dropped); `label` is the channel's own word for the state, kept in the history.
    """

    carrier_ids: tuple[str, ...]
    status: Status | None
    label: str
    error: str = ""  # the network's error code, as the channel gives it
    # what a lookup channel found (an HLR lookup's imsi, msc, mcc, mnc, ...), kept with the
    # message and given back to the customer with its status
    result: dict[str, Any] | None = None
    # the channel's own account of a failure, kept as the part's error detail; empty: the
    # detail is "network error <error>"
    detail: str = ""
    # the channel may overturn a delivery it reported itself: an e-mail is delivered once the
    # relay took it, and its bounce (UNDELIVERED) is applied after that
    overturns_delivery: bool = False


@dataclass(frozen=True, slots=True)
class UserEvent:
    """Something a user did on a rich channel that is not a delivery report: a message of
    their own (`message`: text, location or file), a tapped suggestion (`response`, with its
    postback), a subscription to a bot (`newUser`). `bot` is the bot it was addressed to,
    `user` the user's E.164 digits; `payload` the channel's own object, kept for the bot's
    webhook; `message_id` the channel's id of the user's message, when it has one."""

    kind: str  # "message", "response" or "newUser"
    bot: str
    user: str
    payload: dict[str, Any] = field(default_factory=dict)
    message_id: str = ""
    text: str = ""  # a text message's text, or a response's display text


class ConnectorEvents(Protocol):
    """The engine's side: what a connector reports."""

    def accepted(self, key: PartKey, carrier_id: str, connector_id: str) -> None:
        """The channel accepted the part under `carrier_id`. A part sent again after a lost
        link or a timeout may be reported more than once."""

    def failed(self, key: PartKey, error: str, detail: str, *, permanent: bool) -> None:
        """The part will not be sent by this connector: `error` names a catalog entry.
        `permanent` is False when it failed only for lack of attempts (timeouts, temporary
        errors): another route may succeed."""

    def receipt(self, connector_id: str, report: DeliveryReport) -> Awaitable[None]:
        """A delivery report."""

    def inbound(self, connector_id: str, part: InboundPart) -> Awaitable[None]:
        """A mobile-originated message part."""

    def user_event(self, connector_id: str, event: UserEvent) -> Awaitable[None]:
        """A user's action on a rich channel; done once it is persisted."""


class Connector(Protocol):
    """A channel to carriers or providers, as the engine drives it."""

    @property
    def id(self) -> str: ...

    @property
    def channel(self) -> str:
        """The channel it carries: "sms", "rcs", ..."""
        ...

    @property
    def is_up(self) -> bool:
        """Whether it can send now."""
        ...

    @property
    def links_up(self) -> int:
        """Connections up (for the metrics)."""
        ...

    @property
    def capacity(self) -> int:
        """Parts it may have in flight now."""
        ...

    @property
    def queue_depth(self) -> int: ...

    @property
    def in_flight(self) -> int: ...

    async def start(self, events: ConnectorEvents) -> None:
        """Start connecting in the background; every report goes to `events`."""

    def submit(self, part: OutboundPart) -> bool:
        """Queue a part; False at once when it cannot take it now (back-pressure)."""

    async def stop(self, drain_timeout: float) -> list[OutboundPart]:
        """Stop taking parts, drain within `drain_timeout`, and hand back what was not
        (surely) sent; no event is reported for those."""


class Revoked(NamedTuple):
    """What a revoke came to: `revoked` True when the message will never reach the handset;
    False with the reason (it was delivered meanwhile, or the channel could not say)."""

    revoked: bool
    reason: str = ""
    delivered: bool = False  # the channel says it was delivered (no fallback then)


@runtime_checkable
class RichConnector(Connector, Protocol):
    """A connector of a channel that can tell whether a user can receive it and take back a
    message not yet delivered (RCS): what a fallback to another channel needs."""

    async def capable(self, user: str, bot: str) -> bool:
        """Whether the user (E.164 digits) can receive this channel from `bot`; the connector
        caches answers for a bounded time. Raises GatewayError when it cannot tell."""
        ...

    async def revoke(self, carrier_id: str, bot: str) -> Revoked:
        """Take back a message the channel accepted under `carrier_id`."""
        ...


_RICH_TYPES: Final[dict[type, bool]] = {}  # connector class -> is a RichConnector


def is_rich(connector: object) -> TypeGuard[RichConnector]:
    """isinstance(connector, RichConnector), told once per class: the check of a runtime
    protocol inspects every member each time, and acceptance asks it for every RCS message."""
    kind = type(connector)
    rich = _RICH_TYPES.get(kind)
    if rich is None:
        rich = _RICH_TYPES[kind] = isinstance(connector, RichConnector)
    return rich


class Router(Protocol):
    """Destination and sender parsing, carrier determination and route selection."""

    def destination(self, value: str) -> tuple[str, str | None]:
        """(e164 digits, region) or GatewayError("invalid_destination")."""
        ...

    def source(self, value: str) -> tuple[str, int, int]:
        """(address, ton, npi) or GatewayError("invalid_source")."""
        ...

    def carrier(self, e164: str) -> str | None: ...

    def connectors(
        self,
        account_id: str,
        source: str,
        e164: str,
        region: str | None,
        carrier: str | None,
        available: Set[str] | None = None,
        channel: str = "sms",
    ) -> tuple[str, list[str]]:
        """(route id, connector ids in the order to try) or GatewayError("no_route"); with
        `available` (the connectors up), only those, drawn by the route's weights among them;
        `channel` the connectors' channel (routes carry SMS unless they name others)."""
        ...
