"""A token bucket: `rate` tokens per second, holding at most `burst`. Time is passed in."""


class TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, now: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"a rate must be positive, not {rate}")
        self.rate = rate
        self.burst = burst if burst is not None else max(rate, 1.0)  # one second's worth
        self.tokens = self.burst
        self.stamp = now

    def refill(self, now: float) -> None:
        tokens = self.tokens + (now - self.stamp) * self.rate
        self.tokens = tokens if tokens < self.burst else self.burst
        self.stamp = now

    def take(self, now: float, count: float = 1.0) -> bool:
        """Take `count` tokens if they are there."""
        self.refill(now)
        if self.tokens >= count:
            self.tokens -= count
            return True
        return False

    def take_up_to(self, now: float, count: int) -> int:
        """Take as many whole tokens as are there, at most `count`; how many were taken."""
        self.refill(now)
        taken = min(count, int(self.tokens))
        self.tokens -= taken
        return taken

    def wait_time(self, now: float, count: float = 1.0) -> float:
        """Seconds until `count` tokens are there; 0 when they are."""
        self.refill(now)
        missing = count - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate

    def spend(self, count: float = 1.0) -> None:
        """Take tokens that wait_time said are there."""
        self.tokens -= count
