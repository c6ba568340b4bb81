"""Configuration of an RCS (+message) connector: the MaaP-style platform it sends through, the
token its webhooks must carry, and its limits (rate, in flight, queue, retries, cache)."""

from dataclasses import dataclass

from smsgate.connectors.limits import (
    check_at_least_one,
    check_endpoint,
    check_pacing,
    check_positive,
    check_receipt_timeout,
    check_token,
)


@dataclass(frozen=True)
class RcsConnectorConfig:
    id: str
    base_url: str  # the platform's API root: requests go to {base_url}/bot/v1/{botId}/...
    token: str  # sent as "Authorization: Bearer <token>" on every request to the platform
    webhook_token: str  # what the platform's webhooks must carry as their bearer token
    rate: float | None = None  # messages per second to the platform (token bucket); None: no limit
    max_in_flight: int = 50  # requests to send a message awaiting their answer (the capacity)
    queue_size: int = 10_000  # parts waiting to be sent; submit() refuses beyond
    request_timeout: float = 10.0  # seconds for one request, connecting included
    # sends answered 5xx, timed out or without a connection; the last one fails the part
    max_attempts: int = 5
    max_throttled: int = 100  # 429 answers one part may get before it fails
    retry_min: float = 0.5  # back-off before a retry: from retry_min, doubling, up to retry_max
    retry_max: float = 30.0
    throttle_pause: float = 1.0  # pause after a 429 without Retry-After (capped by retry_max)
    capability_ttl: float = 3600.0  # seconds a capability answer (yes or no) is believed
    capability_cache_size: int = 100_000  # (bot, user) answers kept, least recently used dropped
    # while the platform is down, or idle that long, a capability query tells whether it is up
    probe_interval: float = 15.0
    probe_bot: str = ""  # the bot the probe asks for; "" means the last bot that sent
    probe_user: str = "810000000000"  # the number the probe asks about (any answer will do)
    max_answer_bytes: int = 65_536  # a platform's answer body past this is an error
    max_webhook_bytes: int = 65_536  # a webhook body past this is refused with 413
    inbound_timeout: float = 30.0  # for the engine to take a report before the webhook gets 503
    # seconds after a message's validity ends before parts still waiting for a report end
    # `expired`; None: wait for ever (same meaning as the SMPP connector's setting)
    receipt_timeout: float | None = 3600.0

    def __post_init__(self) -> None:
        check_endpoint("an RCS connector", self.id, self.base_url)
        if not self.token or not self.webhook_token:
            raise ValueError("an RCS connector needs a token and a webhook_token")
        check_token("the RCS connector", self.token)
        counts = (
            self.max_in_flight,
            self.queue_size,
            self.max_attempts,
            self.max_throttled,
            self.capability_cache_size,
            self.max_answer_bytes,
            self.max_webhook_bytes,
        )
        check_at_least_one(
            counts,
            "max_in_flight, queue_size, max_attempts, max_throttled, "
            "capability_cache_size and the byte limits",
        )
        check_pacing(self.rate, self.retry_min, self.retry_max)
        times = (
            self.request_timeout,
            self.throttle_pause,
            self.probe_interval,
            self.inbound_timeout,
        )
        check_positive(times, "timeouts, pauses and intervals")
        if self.capability_ttl < 0:
            raise ValueError("capability_ttl must not be negative")
        check_receipt_timeout(self.receipt_timeout)
        if not self.probe_user.isdigit():
            raise ValueError("probe_user must be E.164 digits")

    @property
    def api_root(self) -> str:
        return self.base_url.rstrip("/") + "/bot/v1"


__all__ = ["RcsConnectorConfig"]
