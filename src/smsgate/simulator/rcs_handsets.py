"""The simulated RCS handsets: who can receive RCS, what each one received, and what a user
taps. Bounded: the numbers remembered and the messages kept per number."""

import hashlib
from collections import OrderedDict, deque
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Reach(Enum):
    CAPABLE = "capable"
    NOT_CAPABLE = "not_capable"
    UNINSTALLED = "uninstalled"  # answers capable, never delivers (the app was removed)


@dataclass(frozen=True, slots=True)
class Received:
    """A message as the handset got it."""

    bot: str
    msg_id: str
    content: dict[str, Any]


def capable_draw(seed: int, number: str) -> float:
    """A number's fixed draw in [0, 1): the same number is capable or not on every run."""
    digest = hashlib.blake2b(f"{seed}:{number}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class Handsets:
    """What each number's handset received, in order: at most `per_number` messages for each
    of the `numbers` most recently written to."""

    def __init__(self, numbers: int, per_number: int) -> None:
        self.numbers = numbers
        self.per_number = per_number
        self._received: OrderedDict[str, deque[Received]] = OrderedDict()

    def receive(self, number: str, message: Received) -> None:
        inbox = self._received.get(number)
        if inbox is None:
            inbox = self._received[number] = deque(maxlen=self.per_number)
            while len(self._received) > self.numbers:
                self._received.popitem(last=False)
        else:
            self._received.move_to_end(number)
        inbox.append(message)

    def received(self, number: str) -> list[Received]:
        return list(self._received.get(number, ()))


def first_suggestion(content: dict[str, Any]) -> dict[str, Any] | None:
    """The first suggestion a message offers (its chip list's, else its rich card's), as
    `{"reply" | "action": {"displayText", "postback": {"data"}, ...}}`, or None."""
    chips = _path(content, "suggestedChipList", "suggestions")
    card = _path(content, "richcardMessage", "message", "generalPurposeCard", "content")
    carousel = _path(content, "richcardMessage", "message", "generalPurposeCardCarousel", "content")
    candidates = [chips, _path(card, "suggestions")]
    if isinstance(carousel, list) and carousel:
        candidates.append(_path(carousel[0], "suggestions"))
    for suggestions in candidates:
        if isinstance(suggestions, list):
            for suggestion in suggestions:
                if isinstance(suggestion, dict) and any(
                    isinstance(suggestion.get(kind), dict) for kind in ("reply", "action")
                ):
                    return suggestion
    return None


def _path(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


__all__ = ["Handsets", "Reach", "Received", "capable_draw", "first_suggestion"]
