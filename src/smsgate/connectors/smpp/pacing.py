"""Timing policies of a connector: reconnect back-off, a bind's reaction to throttling, and the
connector's own rate limit. All of them take the time as an argument, so they are tested
without a clock."""

import math
import random


class Backoff:
    """Capped exponential back-off with jitter, for reconnecting.

    The n-th delay in a row (from 0) is drawn from [base/2, base] with base = 2 * minimum * 2**n
    capped at maximum, and never below minimum: the first from [minimum, 2 * minimum], the
    later ones from [maximum/2, maximum]. The jitter keeps the binds of a connector, and the
    connectors of a gateway, from reconnecting in step after a carrier restart.
    """

    def __init__(self, minimum: float, maximum: float, rng: random.Random) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.rng = rng
        self.failures = 0

    def next_delay(self) -> float:
        base = min(self.maximum, 2.0 * self.minimum * 2.0**self.failures)
        if base < self.maximum:
            self.failures += 1  # stop counting once capped: the value would only overflow
        return self.rng.uniform(max(self.minimum, base / 2), base)

    def reset(self) -> None:
        self.failures = 0


class ThrottleGovernor:
    """How one bind slows down when the carrier answers ESME_RTHROTTLED or ESME_RMSGQFUL.

    Two brakes, released gradually:
    - a pause: the bind sends nothing for `delay` seconds. The first throttling episode pauses
      `minimum`; each further episode doubles it up to `maximum`. Parts sent before the current
      pause began belong to the burst already paused for, so their throttled answers do not
      count again. Each success of a part sent after the pause shrinks the delay by a tenth,
      and below `minimum` the bind is back to normal.
    - a congestion limit on parts in flight: halved at each episode, grown by one per success,
      up to the window. Without it each pause would end in a window-sized burst the carrier
      mostly refuses again.
    """

    def __init__(self, minimum: float, maximum: float, window: int) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.window = window
        self.limit = window
        self.delay = 0.0
        self.paused_at = -math.inf
        self.until = -math.inf
        self.episodes = 0

    def throttled(self, sent_at: float, now: float) -> None:
        if sent_at < self.paused_at:
            return
        self.episodes += 1
        self.delay = self.minimum if self.delay == 0 else min(self.maximum, self.delay * 2)
        self.paused_at = now
        self.until = now + self.delay
        self.limit = max(1, self.limit // 2)

    def succeeded(self, sent_at: float) -> None:
        if self.limit < self.window:
            self.limit += 1
        if self.delay and sent_at >= self.until:
            self.delay *= 0.9
            if self.delay < self.minimum:
                self.delay = 0.0

    def pause_left(self, now: float) -> float:
        return max(0.0, self.until - now)


__all__ = ["Backoff", "ThrottleGovernor"]
