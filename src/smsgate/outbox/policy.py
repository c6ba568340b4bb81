"""The outbox's one retry policy: exponential back-off with jitter, a maximum number of
attempts and a maximum age, after which an item is a dead letter. Pure: the time and the random
source come from the caller."""

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    first_delay: float = 2.0  # seconds after the first failed attempt
    factor: float = 4.0  # each further delay is this many times the one before
    max_delay: float = 3600.0  # no delay is longer (before jitter)
    jitter: float = 0.2  # each delay is drawn within +-20%
    max_attempts: int = 8  # attempts in all, the first included
    # seconds after its creation a failing item is given up; None: never for its age
    max_age: float | None = 86_400.0

    def __post_init__(self) -> None:
        if self.first_delay < 0 or self.max_delay < self.first_delay or self.factor < 1:
            raise ValueError("retry delays must grow from first_delay up to max_delay")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be at least 0 and below 1")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_age is not None and self.max_age <= 0:
            raise ValueError("max_age must be positive (or None)")

    def delay(self, failed: int, rng: random.Random) -> float:
        """Seconds before the next attempt once `failed` attempts (1 or more) have failed."""
        exponent = max(failed - 1, 0)
        # the cap is checked before the power, so a long series cannot overflow the float
        if self.factor > 1 and exponent > 64:
            base = self.max_delay
        else:
            base = min(self.first_delay * self.factor**exponent, self.max_delay)
        return base * rng.uniform(1 - self.jitter, 1 + self.jitter)

    def next_attempt(
        self,
        created_at: float,
        failed: int,
        now: float,
        rng: random.Random,
        max_attempts: int | None = None,
    ) -> float | None:
        """When to try again after the `failed`-th failed attempt, or None: give up (a dead
        letter), because that was the last attempt (`max_attempts` overrides the policy's for
        one item) or the item has outlived `max_age`. The age counts from the item's creation,
        so time spent waiting unattempted counts too, but it is only looked at on a failure."""
        if failed >= (self.max_attempts if max_attempts is None else max_attempts):
            return None
        if self.max_age is not None and now - created_at >= self.max_age:
            return None
        return now + self.delay(failed, rng)
