"""Token buckets for per-account and per-connector rates."""

from smsgate.engine.clock import Clock


class TokenBucket:
    """`rate` tokens per second, holding at most `burst` (default: one second's worth)."""

    __slots__ = ("burst", "clock", "rate", "stamp", "tokens")

    def __init__(self, rate: float, clock: Clock, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(rate, 1.0)
        self.clock = clock
        self.tokens = self.burst
        self.stamp = clock.time()

    def take(self, count: float = 1.0) -> bool:
        now = self.clock.time()
        tokens = self.tokens + (now - self.stamp) * self.rate
        self.tokens = tokens if tokens < self.burst else self.burst
        self.stamp = now
        if self.tokens >= count:
            self.tokens -= count
            return True
        return False

    def take_up_to(self, count: int) -> int:
        """Take as many whole tokens as are there, at most `count`; how many were taken."""
        self.take(0.0)  # refill
        taken = min(count, int(self.tokens))
        self.tokens -= taken
        return taken

    def wait_time(self, count: float = 1.0) -> float:
        """Seconds until `count` tokens are available (0 if they are now)."""
        missing = count - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate


class RateLimits:
    """One bucket per key (account id, connector id), created on first use."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, rate: float, count: float = 1.0) -> bool:
        return self._bucket(key, rate).take(count)

    def take_up_to(self, key: str, rate: float, count: int) -> int:
        return self._bucket(key, rate).take_up_to(count)

    def _bucket(self, key: str, rate: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate:
            bucket = self._buckets[key] = TokenBucket(rate, self.clock)
        return bucket
