"""What a validated `RCSMessage` is (`kind`) and says in plain text (`summary`): for search,
for display, and as the SMS sent in its place when the client gave no SMS text."""

from typing import Any, Final

from smsgate.domain.rcs import cards, content, limits
from smsgate.domain.rcs.fields import refuse

TEXT: Final = "text"
FILE: Final = "file"
LOCATION: Final = "location"
RICHCARD: Final = "richcard"
CAROUSEL: Final = "carousel"
KIND_NAMES: Final = (TEXT, FILE, LOCATION, RICHCARD, CAROUSEL)
_ELLIPSIS: Final = "…"


def kind(rcs: dict[str, Any]) -> str:
    """ "text", "file", "location", "richcard" or "carousel" (content that `validate` accepted)."""
    if content.TEXT in rcs:
        return TEXT
    if content.FILE in rcs:
        return FILE
    if content.LOCATION in rcs:
        return LOCATION
    richcard = rcs.get(content.RICHCARD)
    message = richcard.get("message") if isinstance(richcard, dict) else None
    if isinstance(message, dict) and cards.CARD in message:
        return RICHCARD
    if isinstance(message, dict) and cards.CAROUSEL in message:
        return CAROUSEL
    refuse(content.ROOT, "is not a validated RCSMessage")


def summary(rcs: dict[str, Any]) -> str:
    """The message's text; a card's title and description; a file's name; a location's label
    and position; a carousel's card titles. At most 660 characters, never empty."""
    found = kind(rcs)
    if found == TEXT:
        lines = [rcs[content.TEXT]]
    elif found == FILE:
        file = rcs[content.FILE]
        lines = [file.get("fileName") or _last_segment(file["fileUrl"])]
    elif found == LOCATION:
        push = rcs[content.LOCATION]
        lines = [push.get("label", ""), push["pos"]]
    elif found == RICHCARD:
        lines = _card_lines(rcs[content.RICHCARD]["message"][cards.CARD]["content"])
    else:
        carousel = rcs[content.RICHCARD]["message"][cards.CAROUSEL]["content"]
        lines = [card.get("title") or _card_lines(card)[0] for card in carousel]
    return _bounded("\n".join(line for line in lines if line))


def _card_lines(card: dict[str, Any]) -> list[str]:
    """A card's title and description; for a card with media only, what describes the media."""
    lines = [card[name] for name in ("title", "description") if name in card]
    if lines:
        return lines
    media = card["media"]
    return [media.get("contentDescription") or _last_segment(media["mediaUrl"])]


def _last_segment(url: str) -> str:
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[-1] or url


def _bounded(text: str) -> str:
    if len(text) <= limits.MAX_SUMMARY_CHARS:
        return text
    return text[: limits.MAX_SUMMARY_CHARS - len(_ELLIPSIS)] + _ELLIPSIS
