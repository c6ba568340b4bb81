"""Latency figures for /metrics: the most recent samples in a ring, quantiles on demand."""

from array import array


class LatencyWindow:
    def __init__(self, size: int = 4096) -> None:
        self._samples = array("d", [0.0] * size)
        self._size = size
        self.count = 0

    def add(self, seconds: float) -> None:
        self._samples[self.count % self._size] = seconds
        self.count += 1

    def quantile(self, q: float) -> float:
        filled = min(self.count, self._size)
        if not filled:
            return 0.0
        ordered = sorted(self._samples[:filled])
        return ordered[min(filled - 1, int(q * filled))]
