"""Recent lookup results by number, kept for a bounded time and count.

A bulk lookup often asks about the same numbers again (a list checked before each campaign);
a result a few minutes old answers as well and costs nothing. A subscriber found is believed
longer than one absent or unknown: a handset switched off is usually back within minutes.
"""

from collections import OrderedDict

from smsgate.domain.hlr import HlrResult, SubscriberState
from smsgate.engine.clock import Clock


class ResultCache:
    """A least-recently-used map of number to its last result and when that expires."""

    def __init__(self, clock: Clock, ttl: float, absent_ttl: float, size: int) -> None:
        self.clock = clock
        self.ttl = ttl
        self.absent_ttl = absent_ttl
        self.size = size
        self._results: OrderedDict[str, tuple[HlrResult, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._results)

    def get(self, number: str) -> HlrResult | None:
        """The result still believed, or None."""
        found = self._results.get(number)
        if found is None:
            return None
        result, expires = found
        if self.clock.time() >= expires:
            del self._results[number]
            return None
        self._results.move_to_end(number)
        return result

    def put(self, number: str, result: HlrResult) -> None:
        ttl = self.ttl if result.state is SubscriberState.FOUND else self.absent_ttl
        if ttl <= 0:
            return
        self._results[number] = (result, self.clock.time() + ttl)
        self._results.move_to_end(number)
        while len(self._results) > self.size:
            self._results.popitem(last=False)


__all__ = ["ResultCache"]
