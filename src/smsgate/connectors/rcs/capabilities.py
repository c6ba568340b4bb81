"""The answers to "can this user receive RCS from this bot?", kept for a bounded time.

Both answers are kept: "yes" spares a query per message, "no" sends the next message to SMS
at once. The time to live also bounds how long a stale "yes" is believed: a handset whose
RCS app was removed keeps answering capable on some platforms until its registration lapses,
and a message sent to it then is only found out by a delivery report that never comes.
"""

from collections import OrderedDict

from smsgate.engine.clock import Clock


class CapabilityCache:
    """A least-recently-used map of (bot, user) to a capability answer with its expiry."""

    def __init__(self, clock: Clock, ttl: float, size: int) -> None:
        self.clock = clock
        self.ttl = ttl
        self.size = size
        self._answers: OrderedDict[tuple[str, str], tuple[bool, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, bot: str, user: str) -> bool | None:
        """The answer still believed, or None."""
        key = (bot, user)
        found = self._answers.get(key)
        if found is None:
            return None
        capable, expires = found
        if self.clock.time() >= expires:
            del self._answers[key]
            return None
        self._answers.move_to_end(key)
        return capable

    def put(self, bot: str, user: str, capable: bool) -> None:
        if self.ttl <= 0:
            return
        key = (bot, user)
        self._answers[key] = (capable, self.clock.time() + self.ttl)
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)


__all__ = ["CapabilityCache"]
