"""An HLR provider reached over a plain JSON HTTP API, on the project's lean HTTP/1.1 client
(`callbacks/http_client.py`, as the RCS and provider connectors are): a lookup is one small
request, and a general-purpose client's bookkeeping would cost more than the rest of it.

The API is a generic shape, not any one vendor's: HLR lookup vendors differ in paths and field
names, and one of theirs is adapted by a provider class of its own beside this one.

    GET {base_url}/hlr?msisdn=<E.164 digits>      Authorization: Bearer <token>

    200 {"status": "ok" | "absent" | "unknown", "imsi": "440101234567890", "msc": "819020000123",
         "mcc": "440", "mnc": "10", "country": "Japan", "network": "NTT DOCOMO",
         "roaming_country": "", "roaming_network": "", "ported": false, "error": null}
    400 a malformed msisdn; 401/403 a bad token; 429 over the rate (Retry-After in seconds);
    5xx the provider cannot answer now.

Numeric fields may be strings or numbers, null or absent when the HLR did not say; `error` is
the network's error number, when the HLR gave one (anything else there is ignored). An answer
that is not this shape is the provider's fault: the lookup may be asked again (of it, or of
another provider).
"""

from typing import Any, Final
from urllib.parse import quote

from smsgate.callbacks.http_client import HttpClient, HttpClientError
from smsgate.connectors.hlr.config import HlrConnectorConfig
from smsgate.connectors.hlr.provider import (
    ProviderRefusedError,
    ProviderThrottledError,
    ProviderUnavailableError,
)
from smsgate.domain.hlr import HlrResult, SubscriberState

USER_AGENT: Final = b"smsgate-hlr/1"
_RETRY_AFTER: Final = ("retry-after",)
_UNAVAILABLE: Final = frozenset({401, 403})  # nothing will be answered with this token
_INVALID_NUMBER: Final = frozenset({400, 404, 422})
_TEXT_FIELDS: Final = ("country", "network", "roaming_country", "roaming_network")
_DIGIT_FIELDS: Final = ("imsi", "msc", "mcc", "mnc")
_MAX_ERROR_DIGITS: Final = 3


class HttpHlrProvider:
    def __init__(self, config: HlrConnectorConfig) -> None:
        self._limit = config.max_answer_bytes
        self._timeout = config.request_timeout
        self._http = HttpClient(config.max_in_flight, user_agent=USER_AGENT)
        self._root = self._http.target(config.base_url)
        self._headers = {"Authorization": f"Bearer {config.token}"}

    async def lookup(self, number: str) -> HlrResult:
        # the number as a query value: any character the caller passed is percent-encoded
        target = self._root.joined(f"/hlr?msisdn={quote(number, safe='')}")
        try:
            answer = await self._http.request(
                "GET",
                target,
                timeout=self._timeout,
                headers=self._headers,
                answer_headers=_RETRY_AFTER,
                max_body=self._limit,  # past it the body is not read: the status alone will do
            )
        except TimeoutError:
            detail = f"provider unreachable: no answer within {self._timeout:g} s"
            raise ProviderUnavailableError(detail) from None
        except HttpClientError as exc:  # refused, reset, closed, not HTTP, TLS
            raise ProviderUnavailableError(f"provider unreachable: {exc}") from None
        status, body = answer.status, answer.json_object()
        detail = _detail(status, body)
        if status == 200:
            try:
                return parse_answer(body)
            except ValueError as exc:
                raise ProviderUnavailableError(f"malformed answer: {exc}") from None
        if status == 429:
            raise ProviderThrottledError(detail, answer.retry_after())
        if status in _UNAVAILABLE or status >= 500:
            raise ProviderUnavailableError(detail)
        raise ProviderRefusedError(detail, invalid_number=status in _INVALID_NUMBER)

    async def close(self) -> None:
        self._http.close()


def parse_answer(body: dict[str, Any]) -> HlrResult:
    """The result of a 200 answer's JSON object; ValueError when it is not the shape above."""
    said = body.get("status")
    if said not in tuple(SubscriberState):
        raise ValueError(f"status {said!r} is not ok, absent or unknown")
    state = SubscriberState(said)
    fields: dict[str, Any] = {}
    for name in _DIGIT_FIELDS:
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} must be a string of digits")
        fields[name] = value or ""
    for name in _TEXT_FIELDS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} must be a string")
        fields[name] = (value or "").strip()
    error = body.get("error")
    if isinstance(error, int) and not isinstance(error, bool):
        error = str(error)
    # an error number is kept; a provider's words about the error are not a field of the result
    if isinstance(error, str) and error.isascii() and error.isdigit():
        fields["error"] = error if len(error) <= _MAX_ERROR_DIGITS else ""
    ported = body.get("ported", False)
    if not isinstance(ported, bool):
        raise ValueError("ported must be true or false")
    return HlrResult(state, ported=ported, **fields)


def _detail(status: int, body: dict[str, Any]) -> str:
    error = body.get("error")
    said = f": {error}" if isinstance(error, str) and error and status != 200 else ""
    return f"HTTP {status}{said}"


__all__ = ["HttpHlrProvider", "parse_answer"]
