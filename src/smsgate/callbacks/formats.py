"""Callback formats: the shape a dialect gives its status callbacks and MO webhooks.

An account names its format (`callback_format`); without one it gets smsgate's own (the event
and the item's payload). A format turns an outbox item into the values POSTed (a JSON object
or form fields: as the format says, else as the account's signature scheme says) and may cap
the attempts, where the platform it imitates retries fewer times than smsgate does, or skip the
items that platform never notifies.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from smsgate.domain.outbox import OutboxItem


@dataclass(frozen=True, slots=True)
class CallbackFormat:
    name: str
    values: Callable[[OutboxItem], dict[str, Any]]
    max_attempts: int | None = None  # the first attempt and the retries; None: the worker's
    timeout: float | None = None  # seconds per attempt; None: the worker's
    body: Literal["json", "form"] | None = None  # None: as the signature scheme says
    # the items the platform notifies at all (None: every one); the others are settled unsent
    wanted: Callable[[OutboxItem], bool] | None = None


def native_values(item: OutboxItem) -> dict[str, Any]:
    return {"event": item.event, **item.payload}


def format_named(formats: Mapping[str, CallbackFormat], name: str | None) -> CallbackFormat | None:
    """The format an account names (None: smsgate's own); ValueError for an unknown name."""
    if name is None:
        return None
    try:
        return formats[name]
    except KeyError:
        known = ", ".join(formats) or "none"
        raise ValueError(f"no callback format {name!r}; known: {known}") from None
