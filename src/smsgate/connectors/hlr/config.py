"""Configuration of an HLR lookup connector: the provider it asks, and its limits (rate, in
flight, queue, retries, the cache of recent results)."""

from dataclasses import dataclass

from smsgate.callbacks.http_client import parse_target
from smsgate.connectors.limits import (
    check_at_least_one,
    check_endpoint,
    check_pacing,
    check_positive,
    check_token,
)


@dataclass(frozen=True)
class HlrConnectorConfig:
    id: str
    base_url: str  # the provider's API root: lookups go to {base_url}/hlr?msisdn=...
    token: str  # sent as "Authorization: Bearer <token>" on every lookup
    rate: float | None = None  # lookups per second to the provider (token bucket); None: no limit
    max_in_flight: int = 20  # lookups awaiting the provider's answer (the capacity)
    queue_size: int = 10_000  # parts waiting for a lookup; submit() refuses beyond
    # numbers a lookup finds ported go into the portability table (their SMS then take the
    # routes of the carrier they moved to)
    feed_portability: bool = False
    request_timeout: float = 10.0  # seconds for one request, connecting included
    # lookups answered 5xx, timed out or without a connection; the last one fails the part
    max_attempts: int = 4
    max_throttled: int = 100  # 429 answers one lookup may get before its part fails
    retry_min: float = 0.5  # back-off before a retry: from retry_min, doubling, up to retry_max
    retry_max: float = 30.0
    throttle_pause: float = 1.0  # pause after a 429 without Retry-After (capped by retry_max)
    # after the provider stopped answering, seconds before parts are taken again (the next
    # lookup tells whether it is back: a probe would be a paid lookup of its own)
    recovery_interval: float = 5.0
    cache_ttl: float = 3600.0  # seconds a subscriber found is believed; 0: no cache
    absent_ttl: float = 60.0  # the same for absent or unknown (a handset comes back on soon)
    cache_size: int = 100_000  # numbers kept, least recently used dropped
    max_answer_bytes: int = 16_384  # a provider's answer body past this is an error
    report_timeout: float = 30.0  # for the engine to take a result before it is offered again
    report_attempts: int = 5  # offers of a result to the engine before it is given up

    def __post_init__(self) -> None:
        check_endpoint("an HLR connector", self.id, self.base_url)
        if not self.token:
            raise ValueError("an HLR connector needs a token")
        check_token("an HLR connector", self.token)
        try:
            parse_target(self.base_url)
        except ValueError as exc:
            raise ValueError(f"an HLR connector's base_url: {exc}") from None
        counts = (
            self.max_in_flight,
            self.queue_size,
            self.max_attempts,
            self.max_throttled,
            self.cache_size,
            self.max_answer_bytes,
            self.report_attempts,
        )
        check_at_least_one(
            counts,
            "max_in_flight, queue_size, max_attempts, max_throttled, cache_size, "
            "max_answer_bytes and report_attempts",
        )
        check_pacing(self.rate, self.retry_min, self.retry_max)
        times = (
            self.request_timeout,
            self.throttle_pause,
            self.recovery_interval,
            self.report_timeout,
        )
        check_positive(times, "timeouts, pauses and intervals")
        if self.cache_ttl < 0 or self.absent_ttl < 0:
            raise ValueError("cache_ttl and absent_ttl must not be negative")


__all__ = ["HlrConnectorConfig"]
