"""A running gateway's /metrics (Prometheus text exposition), read by the operator commands:
fetched with a bounded size and time, parsed into samples by name and labels.

/metrics is open to the addresses of `metrics_allow` (loopback by default) and otherwise needs
`metrics_token` as a bearer token: the commands send the configured token when there is one."""

import re
from dataclasses import dataclass, field
from typing import Final

import httpx

from smsgate.config import Config

MAX_BYTES: Final = 4 * 1024 * 1024  # far above what a gateway with hundreds of connectors says
_SAMPLE: Final = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL: Final = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

Labels = tuple[tuple[str, str], ...]


class MetricsUnavailableError(Exception):
    """The gateway could not be read; the message says why (not running, refused, ...)."""


@dataclass
class Metrics:
    samples: dict[str, dict[Labels, float]] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float | None:
        """The sample of `name` with exactly these labels, if the gateway gave one."""
        return self.samples.get(name, {}).get(tuple(sorted(labels.items())))

    def by_label(self, name: str, label: str) -> dict[str, float]:
        """`name`'s samples keyed by one label's value (connector="x" -> value)."""
        found: dict[str, float] = {}
        for labels, value in self.samples.get(name, {}).items():
            for key, label_value in labels:
                if key == label:
                    found[label_value] = value
        return found


def parse(text: str) -> Metrics:
    """The samples of a Prometheus text exposition; comments and malformed lines are skipped."""
    metrics = Metrics()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        matched = _SAMPLE.match(line)
        if matched is None:
            continue
        name, raw_labels, raw_value = matched.groups()
        try:
            value = float(raw_value)
        except ValueError:
            continue
        labels = tuple(sorted(_LABEL.findall(raw_labels or "")))
        metrics.samples.setdefault(name, {})[labels] = value
    return metrics


def default_url(config: Config) -> str:
    """The configured HTTP address as a client reaches it on this machine."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(
        config.http_host, config.http_host
    )
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.http_port}"


def fetch(url: str, token: str | None, timeout: float) -> Metrics:
    """GET `url`/metrics; MetricsUnavailableError saying why when it cannot be read."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    target = url.rstrip("/") + "/metrics"
    try:
        with (
            httpx.Client(timeout=timeout) as client,
            client.stream("GET", target, headers=headers) as response,
        ):
            if response.status_code in (401, 403):
                raise MetricsUnavailableError(
                    f"{target} refused (HTTP {response.status_code}): run this from an address "
                    "in metrics_allow, or give the metrics_token (--token)"
                )
            if response.status_code != 200:
                raise MetricsUnavailableError(f"{target} answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise MetricsUnavailableError(f"{target} is over {MAX_BYTES} bytes")
    except httpx.ConnectError:
        raise MetricsUnavailableError(f"no gateway is running at {url}") from None
    except httpx.HTTPError as exc:
        raise MetricsUnavailableError(f"{target}: {exc or type(exc).__name__}") from None
    return parse(body.decode("utf-8", "replace"))
