"""The HTTP interfaces' limits, taken from the configuration by the composition root."""

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpSettings:
    max_connections: int = 512
    max_header_bytes: int = 32768
    header_timeout: float = 10.0
    keepalive_timeout: float = 5.0
    trusted_proxies: str = ""  # an allow-list (smsgate.domain.allow_list); blank: none
    auth_failures: int = 10
    auth_window: float = 60.0
    metrics_allow: str = "127.0.0.1 ::1"
    metrics_token: str | None = None
