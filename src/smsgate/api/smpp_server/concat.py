"""Parts of a concatenated message, held until all have come, so that the engine takes the
message as one (one message id for all parts, one receipt).

The customer's submit_sm for each part is answered only once the whole message is committed,
so nothing is acknowledged before it is stored. A group that stays incomplete for `wait`
seconds (a client that waits for each part's response before sending the next, or a part
that never comes) is handed back so that each part it holds is accepted on its own. Groups
are keyed by account, addresses, reference and total, as a handset reassembles them.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class Group(Generic[T]):
    total: int
    first_seen: float
    parts: dict[int, list[T]] = field(default_factory=dict)  # seq -> items (re-sends too)

    @property
    def complete(self) -> bool:
        return len(self.parts) == self.total

    def items(self) -> list[T]:
        """Every item, in part order."""
        return [item for seq in sorted(self.parts) for item in self.parts[seq]]


class PartGatherer(Generic[T]):
    def __init__(self, wait: float, max_groups: int = 10_000) -> None:
        self.wait = wait
        self.max_groups = max_groups
        self._groups: dict[Hashable, Group[T]] = {}

    def __len__(self) -> int:
        return len(self._groups)

    def add(self, key: Hashable, seq: int, total: int, item: T, now: float) -> list[Group[T]]:
        """Hold one part; returns the groups that are finished: the one this part completes,
        and the oldest one when too many are open (incomplete: its parts go on alone)."""
        finished: list[Group[T]] = []
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= self.max_groups:
                finished.append(self._groups.pop(next(iter(self._groups))))
            group = self._groups[key] = Group(total, now)
        group.parts.setdefault(seq, []).append(item)
        if group.complete:
            del self._groups[key]
            finished.append(group)
        return finished

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

    def drop_items(self, keep: Callable[[T], bool]) -> None:
        """Forget items for which keep() is false (their connection closed)."""
        for key, group in list(self._groups.items()):
            for seq, items in list(group.parts.items()):
                items[:] = [i for i in items if keep(i)]
                if not items:
                    del group.parts[seq]
            if not group.parts:
                del self._groups[key]
