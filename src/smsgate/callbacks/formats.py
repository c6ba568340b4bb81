"""Callback formats: the shape a dialect gives its status callbacks and MO webhooks.

An account names its format (`callback_format`); without one it gets smsgate's own (the event
and the item's payload). A format turns an outbox item into the values POSTed (a JSON object
or form fields: as the format says, else as the account's signature scheme says; a format
that needs the account, such as its bot's id, reads it through `account_values`) and may cap
the attempts, where the platform it imitates retries fewer times than smsgate does, or skip the
items that platform never notifies.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from smsgate.domain.account import Account
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
    # the values when they depend on the account too (used instead of `values`)
    account_values: Callable[[OutboxItem, Account | None], dict[str, Any]] | None = None

    def values_for(self, item: OutboxItem, account: Account | None) -> dict[str, Any]:
        if self.account_values is not None:
            return self.account_values(item, account)
        return self.values(item)


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
