"""A log line per interval with a count, never a line per event: a flood of refusals must not
become a flood of log lines (or a full disk)."""

import logging
import time
from collections.abc import Callable


class ThrottledLog:
    def __init__(
        self,
        logger: logging.Logger,
        level: int,
        what: str,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.level = level
        self.what = what  # "HTTP connections refused", ...
        self.interval = interval
        self.clock = clock
        self._count = 0
        self._since: float | None = None

    def note(self, address: str | None) -> None:
        """Count one event from `address`; the first one, and the first after each interval,
        writes the line with the count since the previous line."""
        now = self.clock()
        self._count += 1
        if self._since is None or now - self._since >= self.interval:
            self.logger.log(
                self.level, "%s: %d (the last from %s)", self.what, self._count, address
            )
            self._count = 0
            self._since = now
