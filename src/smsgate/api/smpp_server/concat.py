"""Parts of a concatenated message, gathered by key until all have come or they waited too
long. Groups are keyed by account, addresses, reference and total, as a handset reassembles
them; the oldest group leaves first when too many are open."""

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class Group(Generic[T]):
    key: Hashable
    total: int
    first_seen: float
    parts: dict[int, T] = field(default_factory=dict)  # seq -> item (the first copy)

    @property
    def complete(self) -> bool:
        return len(self.parts) == self.total

    def items(self) -> list[T]:
        """Every item, in part order."""
        return [self.parts[seq] for seq in sorted(self.parts)]


class PartGatherer(Generic[T]):
    def __init__(self, wait: float, max_groups: int = 10_000) -> None:
        self.wait = wait
        self.max_groups = max_groups
        self._groups: dict[Hashable, Group[T]] = {}

    def __len__(self) -> int:
        return len(self._groups)

    def get(self, key: Hashable) -> Group[T] | None:
        return self._groups.get(key)

    def add(self, key: Hashable, seq: int, total: int, item: T, now: float) -> list[Group[T]]:
        """Hold one part (a copy of a part held already is ignored); returns the oldest group
        when too many are open (it goes on incomplete)."""
        pushed_out: list[Group[T]] = []
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= self.max_groups:
                pushed_out.append(self._groups.pop(next(iter(self._groups))))
            group = self._groups[key] = Group(key, total, now)
        group.parts.setdefault(seq, item)
        return pushed_out

    def withdraw(self, key: Hashable, seq: int) -> None:
        """Forget one part (its write failed); an empty group goes."""
        group = self._groups.get(key)
        if group is not None:
            group.parts.pop(seq, None)
            if not group.parts:
                del self._groups[key]

    def finish(self, key: Hashable) -> None:
        """The group became a message."""
        self._groups.pop(key, None)

    def wait_again(self, group: Group[T], now: float) -> None:
        """Keep a group for another `wait` seconds (its message could not be accepted yet)."""
        group.first_seen = now
        self._groups.pop(group.key, None)
        self._groups[group.key] = group

    def expire(self, now: float) -> list[Group[T]]:
        """The groups that waited `wait` seconds or more, oldest first."""
        expired: list[Group[T]] = []
        while self._groups:
            key, group = next(iter(self._groups.items()))
            if now - group.first_seen < self.wait:
                break
            expired.append(self._groups.pop(key))
        return expired

    def next_deadline(self) -> float | None:
        if not self._groups:
            return None
        return next(iter(self._groups.values())).first_seen + self.wait
