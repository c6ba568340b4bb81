"""Per-account rates: one token bucket per key, on the engine's clock."""

from smsgate.domain.token_bucket import TokenBucket
from smsgate.engine.clock import Clock


class RateLimits:
    """One bucket per key (an account id), created on first use, one second's burst."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, rate: float, count: float = 1.0) -> bool:
        now = self.clock.time()
        return self._bucket(key, rate, now).take(now, count)

    def take_up_to(self, key: str, rate: float, count: int) -> int:
        now = self.clock.time()
        return self._bucket(key, rate, now).take_up_to(now, count)

    def _bucket(self, key: str, rate: float, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate:
            bucket = self._buckets[key] = TokenBucket(rate, now)
        return bucket
