"""The identical-request window: the same source, destination and text from the same account
within N seconds is refused as a duplicate (as SMSC.ru does), so a client that retries a send
it believes lost does not pay twice.

Memory is bounded: requests are kept in two generations of one window each (a lookup reads
both, a rotation drops the older whole), and a generation that reaches `capacity` entries
rotates early, so a flood narrows the window instead of growing memory. Entries are keyed by the
hash of (account, source, destination, text); a false match needs a 64-bit collision between two
requests within the window.
"""

import hashlib
from typing import Final

# requests per generation (about 100 bytes each, 50 MB for both): a request is remembered
# for at least min(window, 250,000 / rate) seconds, the whole minute up to 4,000 messages/s
DEFAULT_CAPACITY: Final = 250_000


def stable_key(account_id: str, source: str, destination: str, text: str) -> int:
    """The request's key as every process computes it alike (`hash` of a str is salted per
    process): a signed 64-bit BLAKE2b digest, the store's key for the window all nodes share."""
    fields = "\x00".join((account_id, source, destination, text)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(fields, digest_size=8).digest(), "big", signed=True)


class IdenticalWindow:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._current: dict[int, float] = {}
        self._previous: dict[int, float] = {}
        self._rotated_at = float("-inf")
        self._span = 0.0  # the longest window asked for: how long a generation lasts

    @staticmethod
    def key(account_id: str, source: str, destination: str, text: str) -> int:
        return hash((account_id, source, destination, text))

    def seen(self, key: int, now: float, window: float) -> float | None:
        """When the same request was accepted within `window` seconds before `now`, else None."""
        at = self._current.get(key)
        if at is None:
            at = self._previous.get(key)
        if at is not None and now - at < window:
            return at
        return None

    def admit(self, key: int, now: float, window: float) -> float | None:
        """Record the request at `now`, unless the same one came within the window: then
        the time it came, and nothing is recorded."""
        current = self._current
        at = current.get(key)
        if at is None:
            at = self._previous.get(key)
        if at is not None and now - at < window:
            return at
        self._span = max(self._span, window)
        if now - self._rotated_at >= self._span or len(current) >= self.capacity:
            self._previous, self._current = current, {}
            self._rotated_at = now
        self._current[key] = now
        return None

    def forget(self, key: int, at: float) -> None:
        """Withdraw a request recorded at `at` that was not accepted after all."""
        for generation in (self._current, self._previous):
            if generation.get(key) == at:
                del generation[key]

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)
