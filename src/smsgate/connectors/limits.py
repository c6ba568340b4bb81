"""The checks of the limits every queued channel connector's config shares: counts, the rate,
the back-off range, timeouts. Each raises ValueError naming what is wrong, so a config built
from a bad file is refused where it is read.
"""


def check_endpoint(what: str, connector_id: str, base_url: str) -> None:
    """An id and an http(s) base URL; `what` names the connector ("an RCS connector")."""
    if not connector_id or not base_url.startswith(("http://", "https://")):
        raise ValueError(f"{what} needs an id and an http(s) base_url")


def check_token(owner: str, token: str) -> None:
    """A token that goes into an Authorization header as it is; `owner` names whose it is
    ("the RCS connector")."""
    if not (token.isprintable() and token.isascii()) or " " in token:
        raise ValueError(f"{owner}'s token must be printable ASCII without spaces")


def check_at_least_one(counts: tuple[int, ...], names: str) -> None:
    """Sizes and counts: a queue of 0 or no attempt at all is no connector."""
    if min(counts) < 1:
        raise ValueError(f"{names} must be at least 1")


def check_pacing(rate: float | None, retry_min: float, retry_max: float) -> None:
    """The rate (None: unpaced) and the back-off range."""
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive")
    if not 0 < retry_min <= retry_max:
        raise ValueError("need 0 < retry_min <= retry_max")


def check_positive(times: tuple[float, ...], names: str) -> None:
    """Timeouts, pauses and intervals: 0 would spin or never wait."""
    if min(times) <= 0:
        raise ValueError(f"{names} must be positive")


def check_receipt_timeout(receipt_timeout: float | None) -> None:
    if receipt_timeout is not None and receipt_timeout < 0:
        raise ValueError("receipt_timeout must not be negative")


__all__ = [
    "check_at_least_one",
    "check_endpoint",
    "check_pacing",
    "check_positive",
    "check_receipt_timeout",
    "check_token",
]
