"""Rate-limited logging for problems that a client can repeat at will (bad PDUs, failed binds,
refused requests): a hostile client must not be able to fill the disk through the log.

`LogLimiter.note` logs the first occurrence of a problem at once, then only counts: at most
one line per problem per interval says how many occurred since the last line, with the last
detail. `flush` writes what is still counted (at the end of a connection). The number of
distinct problems tracked is bounded; those past the bound are counted under "other problems".
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

DEFAULT_INTERVAL: Final = 10.0  # seconds between two lines about the same problem
HTTP_LOG_INTERVAL: Final = 60.0  # the same for the HTTP server's refusals, which have no end
_MAX_PROBLEMS: Final = 64
_OTHER: Final = "other problems"


@dataclass(slots=True)
class _Tally:
    logged_at: float  # when the last line about this problem was written
    count: int = 0  # occurrences since that line
    detail: str = ""  # the last occurrence's detail


class LogLimiter:
    """One limiter per source (a connection, a listener); `prefix` names the source in lines."""

    def __init__(
        self,
        logger: logging.Logger,
        prefix: str = "",
        *,
        level: int = logging.WARNING,
        interval: float = DEFAULT_INTERVAL,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.prefix = prefix
        self.level = level
        self.interval = interval
        self.now = now
        self._tallies: dict[str, _Tally] = {}

    def note(self, problem: str, detail: str = "", *, level: int | None = None) -> None:
        """Count one occurrence of `problem` (a short, fixed phrase: the key of the count);
        `detail` says what this occurrence was."""
        level = self.level if level is None else level
        if not self.logger.isEnabledFor(level):
            return
        now = self.now()
        tallies = self._tallies
        tally = tallies.get(problem)
        if tally is None:
            if len(tallies) >= _MAX_PROBLEMS:
                problem = _OTHER
                tally = tallies.get(problem)
            if tally is None:
                tallies[problem] = _Tally(now)
                self._emit(level, problem, 1, detail)
                return
        tally.count += 1
        tally.detail = detail
        if now - tally.logged_at >= self.interval:
            self._emit(level, problem, tally.count, detail, now - tally.logged_at)
            tally.logged_at, tally.count = now, 0

    def flush(self) -> None:
        """Write the counts not written yet and forget every problem."""
        now = self.now()
        for problem, tally in self._tallies.items():
            if tally.count:
                self._emit(self.level, problem, tally.count, tally.detail, now - tally.logged_at)
        self._tallies.clear()

    def _emit(
        self, level: int, problem: str, count: int, detail: str, seconds: float | None = None
    ) -> None:
        prefix = f"{self.prefix}: " if self.prefix else ""
        last = f" (last: {detail})" if detail else ""
        if seconds is None:
            self.logger.log(level, "%s%s%s", prefix, problem, last)
        else:
            self.logger.log(
                level, "%s%s: %d more in %.0f s%s", prefix, problem, count, seconds, last
            )
