"""What the generic provider connector needs of a channel's provider, and what a send may end
in: an id for the message, or a typed error that says whether sending again may help."""

from dataclasses import dataclass
from typing import Final, Protocol

from smsgate.engine.ports import DeliveryReport, OutboundPart

# The catalog entry a part whose channel fields are not acceptable fails with (a bad code, no
# bot name, an unknown voice).
INVALID_CONTENT: Final = "invalid_channel_content"


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    """The provider took the message: `id` is its id for it, which its reports name."""

    id: str


class ProviderError(Exception):
    """A send that did not end in an id.

    `code` names a catalog entry; `permanent` says sending the same part again cannot help
    (a refused number, a bad field); `down` that the provider cannot serve anything now (no
    answer, 502/503/504, a refused token), so the connector stops taking parts until a probe
    answers.
    """

    def __init__(self, code: str, detail: str, *, permanent: bool, down: bool = False) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.permanent = permanent
        self.down = down


class ThrottledError(ProviderError):
    """The provider's rate was exceeded (429): the connector pauses, then sends again."""

    def __init__(self, detail: str, retry_after: float | None) -> None:
        super().__init__("carrier_unavailable", detail, permanent=False)
        self.retry_after = retry_after  # seconds the provider asked for; None: the default


class Provider(Protocol):
    """A channel's provider, as `ProviderConnector` drives it."""

    @property
    def channel(self) -> str:
        """The engine's name of the channel: "voice", "viber", ..."""
        ...

    def check(self, part: OutboundPart) -> None:
        """Raise a permanent ProviderError when the part cannot be sent on this channel (its
        destination or its fields), before anything is sent."""

    async def send(self, part: OutboundPart, ref: str) -> ProviderAnswer:
        """Hand the part to the provider under our reference `ref` (the same for every
        attempt of one part, so a repeated send is one message); raises ProviderError."""
        ...

    async def probe(self) -> bool:
        """Whether the provider answers now."""
        ...

    def parse_event(self, body: bytes) -> DeliveryReport:
        """A webhook's body as a report; GatewayError("invalid_request") when it is not one."""
        ...

    async def close(self) -> None: ...


__all__ = [
    "INVALID_CONTENT",
    "Provider",
    "ProviderAnswer",
    "ProviderError",
    "ThrottledError",
]
