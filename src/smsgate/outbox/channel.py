"""What a destination kind (an outbox channel) supplies to the consumer: its name, the claim
scopes ready for items, and the delivery of claimed items. Claiming, the retry policy, dead
letters and settling are the consumer's."""

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from smsgate.domain.outbox import OutboxItem


class Kind(StrEnum):
    DONE = "done"  # the customer has it
    RETRY = "retry"  # failed for a reason that may pass: the policy decides when, or gives up
    REFUSED = "refused"  # refused for good: a dead letter at once
    RELEASED = "released"  # not attempted (no room, no bind, stopping): no attempt counted


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: Kind
    reason: str | None = None  # why it failed (DONE: what was done instead of sending, if so)
    max_attempts: int | None = None  # RETRY: the item's own limit, instead of the policy's
    due: float | None = None  # RELEASED: when it is due again (None: at once)
    # what the attempt's record shows (docs/outbox.md): the receiver's answer, the HTTP status
    # or the deliver_sm_resp command_status, and the seconds from the request to that answer
    code: int | None = None
    duration: float | None = None

    @classmethod
    def done(
        cls, *, code: int | None = None, duration: float | None = None, reason: str | None = None
    ) -> "Outcome":
        if code is None and duration is None and reason is None:
            return _DONE
        return cls(Kind.DONE, reason, code=code, duration=duration)

    @classmethod
    def retry(
        cls,
        reason: str,
        max_attempts: int | None = None,
        *,
        code: int | None = None,
        duration: float | None = None,
    ) -> "Outcome":
        return cls(Kind.RETRY, reason, max_attempts, code=code, duration=duration)

    @classmethod
    def refused(
        cls, reason: str, *, code: int | None = None, duration: float | None = None
    ) -> "Outcome":
        return cls(Kind.REFUSED, reason, code=code, duration=duration)

    @classmethod
    def released(cls, due: float | None = None) -> "Outcome":
        return cls(Kind.RELEASED, due=due)


_DONE = Outcome(Kind.DONE)


@dataclass(frozen=True, slots=True)
class Scope:
    """Items the channel can take now: of one account (None: of any) and how many more."""

    account_id: str | None
    room: int


class OutboxChannel(Protocol):
    name: str  # the outbox's `channel` column

    def attach(self, wake: Callable[[], None]) -> None:
        """The consumer's wake-up: call it when a scope has room again."""

    def ready(self) -> Iterable[Scope]:
        """The scopes to claim for now; room counts what was handed over and not given back."""

    def deliver(self, items: Sequence[OutboxItem]) -> AsyncIterator[tuple[OutboxItem, Outcome]]:
        """Take claimed items (at once, so that `ready` counts them from this call on) and
        yield each one's outcome, exactly once, as soon as it is known."""

    def halt(self) -> None:
        """The consumer is stopping: start no new attempt (those under way may finish) and
        give back, as released, what waits for one."""

    async def close(self) -> None:
        """The consumer stopped: let go of connections."""
