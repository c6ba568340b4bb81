"""Configuration of a provider connector: the channel it carries, the provider's API and its
credentials, the token the provider's webhooks must carry, and its limits (rate, in flight,
queue, retries)."""

from dataclasses import dataclass

from smsgate.callbacks.http_client import parse_target
from smsgate.connectors.limits import (
    check_at_least_one,
    check_endpoint,
    check_pacing,
    check_positive,
    check_receipt_timeout,
    check_token,
)
from smsgate.connectors.providers.channels import CHANNELS


@dataclass(frozen=True)
class ProviderConnectorConfig:
    id: str
    channel: str  # "voice", "viber", "telegram", "bot" or "social"
    base_url: str  # the provider's API root: sends go to {base_url}/{channel}/send
    token: str  # sent as "Authorization: Bearer <token>" on every request to the provider
    webhook_token: str  # what the provider's webhooks must carry as their bearer token
    rate: float | None = None  # sends per second to the provider (token bucket); None: no limit
    max_in_flight: int = 20  # sends awaiting their answer (the capacity)
    queue_size: int = 10_000  # parts waiting to be sent; submit() refuses beyond
    request_timeout: float = 10.0  # seconds for one request, connecting included
    # sends answered 5xx, timed out or without a connection; the last one fails the part
    max_attempts: int = 5
    max_throttled: int = 100  # 429 answers one part may get before it fails
    retry_min: float = 0.5  # back-off before a retry: from retry_min, doubling, up to retry_max
    retry_max: float = 30.0
    throttle_pause: float = 1.0  # pause after a 429 without Retry-After (capped by retry_max)
    # while the provider is down, or idle that long, a health request tells whether it is up
    probe_interval: float = 15.0
    max_answer_bytes: int = 65_536  # a provider's answer body past this counts as empty
    max_webhook_bytes: int = 65_536  # a webhook body past this is refused with 413
    inbound_timeout: float = 30.0  # for the engine to take a report before the webhook gets 503
    # seconds after a message's validity ends before parts still waiting for a report end
    # `expired`; None: wait for ever (same meaning as the SMPP connector's setting)
    receipt_timeout: float | None = 3600.0

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(
                f"unknown channel {self.channel!r}; one of {', '.join(sorted(CHANNELS))}"
            )
        check_endpoint("a provider connector", self.id, self.base_url)
        if not self.token or not self.webhook_token:
            raise ValueError("a provider connector needs a token and a webhook_token")
        check_token("a provider connector", self.token)
        try:
            parse_target(self.base_url)
        except ValueError as exc:
            raise ValueError(f"a provider connector's base_url: {exc}") from None
        counts = (
            self.max_in_flight,
            self.queue_size,
            self.max_attempts,
            self.max_throttled,
            self.max_answer_bytes,
            self.max_webhook_bytes,
        )
        check_at_least_one(
            counts, "max_in_flight, queue_size, max_attempts, max_throttled and the byte limits"
        )
        check_pacing(self.rate, self.retry_min, self.retry_max)
        times = (
            self.request_timeout,
            self.throttle_pause,
            self.probe_interval,
            self.inbound_timeout,
        )
        check_positive(times, "timeouts, pauses and intervals")
        check_receipt_timeout(self.receipt_timeout)


__all__ = ["ProviderConnectorConfig"]
