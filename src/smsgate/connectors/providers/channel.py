"""A channel of the provider connector as data: its name, the fields its provider's send takes
(checked here, before anything is sent) and the provider's words for a message's state.

Every send carries `ref` (ours, the same for each attempt of a part), `to` ("+" and the
E.164 digits), `from` (the sender) and, when the part has one, `valid_until` (Unix seconds);
a channel adds its own fields. Every provider reports `sent`, `delivered`, `failed`,
`expired` and `rejected`; a channel adds its own words (a Viber message `read`, a call
`answered`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from smsgate.connectors.providers.provider import INVALID_CONTENT, ProviderError
from smsgate.domain.status import Status
from smsgate.engine.ports import OutboundPart

COMMON_STATUSES: Final[Mapping[str, Status]] = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "failed": Status.UNDELIVERED,
    "expired": Status.EXPIRED,
    "rejected": Status.FAILED,  # refused by the network before any delivery was tried
}
_MAX_DIGITS: Final = 15  # E.164

Fields = Callable[[OutboundPart], dict[str, Any]]


@dataclass(frozen=True)
class Channel:
    name: str  # the engine's name of the channel, and the path of its provider's API
    fields: Fields  # the channel's own fields of a send; raises ProviderError (permanent)
    statuses: Mapping[str, Status] = field(default_factory=dict)  # beside COMMON_STATUSES

    def request(self, part: OutboundPart, ref: str) -> dict[str, Any]:
        """The body of the send of `part`; a permanent ProviderError when it cannot be sent."""
        body: dict[str, Any] = {"ref": ref, "to": "+" + phone(part), "from": part.source}
        body.update(self.fields(part))
        if part.valid_until is not None:
            body["valid_until"] = int(part.valid_until)
        return body

    def status(self, word: str) -> Status | None:
        """The status a provider's word means; None for a word this channel does not know."""
        word = word.lower()
        return self.statuses.get(word, COMMON_STATUSES.get(word))


def phone(part: OutboundPart) -> str:
    """The destination's E.164 digits, checked."""
    digits = part.destination.removeprefix("+")
    if not (digits.isascii() and digits.isdigit() and 1 <= len(digits) <= _MAX_DIGITS):
        raise ProviderError(
            "invalid_destination", f"{part.destination!r} is not an E.164 number", permanent=True
        )
    return digits


def text(part: OutboundPart, limit: int) -> str:
    """The message's text: not blank, at most `limit` characters."""
    value = part.text
    if not value.strip():
        raise invalid("the text is empty")
    if len(value) > limit:
        raise invalid(f"the text has {len(value)} characters, at most {limit} are allowed")
    return value


def content(part: OutboundPart, key: str) -> str | None:
    """The channel field `key` of the part's content: a string, or None when absent."""
    value = (part.content or {}).get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"{key} must be a string")
    return value


def digits_code(value: str, name: str, shortest: int, longest: int) -> str:
    """A numeric code of `shortest` to `longest` ASCII digits."""
    value = value.strip()
    if not (value.isascii() and value.isdigit() and shortest <= len(value) <= longest):
        raise invalid(f"{name} must be {shortest} to {longest} digits, not {value[:16]!r}")
    return value


def invalid(detail: str) -> ProviderError:
    return ProviderError(INVALID_CONTENT, detail, permanent=True)


__all__ = [
    "COMMON_STATUSES",
    "Channel",
    "Fields",
    "content",
    "digits_code",
    "invalid",
    "phone",
    "text",
]
