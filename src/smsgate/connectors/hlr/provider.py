"""What the HLR connector needs of a lookup provider: one call, `lookup(number)`, that answers
an `HlrResult` or raises one of the errors below, which tell the connector what to do next."""

from typing import Protocol

from smsgate.domain.hlr import HlrResult


class HlrProviderError(Exception):
    """A lookup that gave no result; `detail` is kept in the part's history."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ProviderUnavailableError(HlrProviderError):
    """No usable answer now (no connection, a timeout, a 5xx, refused credentials): worth
    asking again later, and a sign the provider is down."""


class ProviderThrottledError(HlrProviderError):
    """Over the provider's rate: ask again after `retry_after` seconds (None: not said)."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ProviderRefusedError(HlrProviderError):
    """The provider will not look this number up; asking again would not change it.
    `invalid_number` when it said the number itself is malformed."""

    def __init__(self, detail: str, *, invalid_number: bool = False) -> None:
        super().__init__(detail)
        self.invalid_number = invalid_number


class HlrProvider(Protocol):
    async def lookup(self, number: str) -> HlrResult:
        """Look up `number` (E.164 digits) in its home network's HLR."""
        ...

    async def close(self) -> None:
        """Release connections; no lookup follows."""
        ...


__all__ = [
    "HlrProvider",
    "HlrProviderError",
    "ProviderRefusedError",
    "ProviderThrottledError",
    "ProviderUnavailableError",
]
