"""What one SMPP connection may cost the gateway: its write buffer, its request rate, the time it
may stay unbound.

Back-pressure: while replies the peer does not read pile up in the transport's write buffer
above `write_high` bytes, the connection stops reading; below `write_low` it reads again. A peer
that writes and never reads then fills only its own socket buffers.

Rate: a token bucket of `pdu_rate` requests per second (one second's worth of burst),
`unbound_pdu_rate` before a bind. A request past it is answered ESME_RTHROTTLED without being
acted on; a peer that keeps going (`flood_close` throttled requests within `FLOOD_INTERVAL`)
is disconnected, since answering it costs as much as serving it.
"""

from dataclasses import dataclass
from typing import Final

from smsgate.domain.token_bucket import TokenBucket

FLOOD_INTERVAL: Final = 10.0  # seconds over which throttled requests are counted


@dataclass(frozen=True)
class ConnectionLimits:
    write_high: int = 1024 * 1024  # bytes of unread replies before the connection stops reading
    write_low: int = 256 * 1024  # ... and below which it reads again
    pdu_rate: float | None = None  # requests per second once bound; None: unlimited
    unbound_pdu_rate: float | None = None  # requests per second before a bind
    flood_close: int | None = None  # throttled requests within FLOOD_INTERVAL that disconnect
    bind_timeout: float | None = None  # seconds an SMSC-side connection may stay unbound


class PduRate:
    """The request rate of one connection: which requests are served, and when it floods."""

    def __init__(self, limits: ConnectionLimits, now: float) -> None:
        self.limits = limits
        self._bound = False
        self._bucket = self._new_bucket(limits.unbound_pdu_rate, now)
        self._window_start = now
        self._throttled = 0  # within the current FLOOD_INTERVAL
        self.throttled_total = 0

    @staticmethod
    def _new_bucket(rate: float | None, now: float) -> TokenBucket | None:
        return None if rate is None else TokenBucket(rate, now)

    def bound(self, now: float) -> None:
        """The connection is bound: the bound rate applies from now on."""
        if not self._bound:
            self._bound = True
            self._bucket = self._new_bucket(self.limits.pdu_rate, now)

    def admit(self, now: float) -> bool:
        """Whether a request arriving now is served; counts it as throttled if not."""
        bucket = self._bucket
        if bucket is None or bucket.take(now):
            return True
        if now - self._window_start >= FLOOD_INTERVAL:
            self._window_start, self._throttled = now, 0
        self._throttled += 1
        self.throttled_total += 1
        return False

    @property
    def flooding(self) -> bool:
        """The peer ignores ESME_RTHROTTLED: time to disconnect it."""
        limit = self.limits.flood_close
        return limit is not None and self._throttled >= limit
