"""A channel's provider spoken to over its plain JSON HTTP API, on the project's lean HTTP/1.1
client (`callbacks/http_client.py`: keep-alive connections, one write per request, httptools),
as the RCS client is: a general-purpose client's bookkeeping per request was most of the
gateway's CPU for a message on these channels. Every request carries
`Authorization: Bearer <token>`:

- send: `POST {base_url}/{channel}/send` with the channel's fields (`channel.py`); 200 (or
  201, 202) `{"id"}`; 4xx refused for good, its `{"error": {"code", "message"}}` saying why
  (`invalid_number`: not a number; `not_reachable`: the number has no account on the channel;
  another code: refused); 429 over the provider's rate (Retry-After in seconds); 401/403 a
  refused token; 5xx a temporary failure.
- health: `GET {base_url}/{channel}/health`; any answer but 401, 403, 502, 503, 504 means up.
- reports come as webhooks `{"id", "status", "error"}` (`parse_event`): `status` one of the
  channel's words, `error` the network's code as a string (optional).
"""

from typing import Any, Final

import orjson

from smsgate.callbacks.http_client import HttpClient, HttpClientError, Target
from smsgate.connectors.providers.channel import Channel
from smsgate.connectors.providers.config import ProviderConnectorConfig
from smsgate.connectors.providers.provider import ProviderAnswer, ProviderError, ThrottledError
from smsgate.domain.errors import GatewayError
from smsgate.engine.ports import DeliveryReport, OutboundPart

USER_AGENT: Final = b"smsgate-providers/1"
_RETRY_AFTER: Final = ("retry-after",)
_ACCEPTED: Final = frozenset({200, 201, 202})
_DOWN: Final = frozenset({401, 403, 502, 503, 504})  # nothing will go through now
# a refusal's code from the provider, and the catalog entry it means
_REFUSALS: Final = {"invalid_number": "invalid_destination", "not_reachable": "undeliverable"}
_MAX_ID: Final = 200  # characters of a provider's id, which is stored with the part
_MAX_ERROR: Final = 32  # characters of a report's error code


class HttpProvider:
    def __init__(self, channel: Channel, config: ProviderConnectorConfig) -> None:
        self._channel = channel
        self._limit = config.max_answer_bytes
        self._timeout = config.request_timeout
        # the sends in flight, and one more for the probe
        self._http = HttpClient(config.max_in_flight + 1, user_agent=USER_AGENT)
        root = self._http.target(config.base_url.rstrip("/") + "/" + channel.name)
        self._send_to, self._health_at = root.joined("/send"), root.joined("/health")
        self._headers = {"Authorization": f"Bearer {config.token}"}
        self._json_headers = {**self._headers, "Content-Type": "application/json"}

    @property
    def channel(self) -> str:
        return self._channel.name

    def check(self, part: OutboundPart) -> None:
        self._channel.request(part, "")

    async def send(self, part: OutboundPart, ref: str) -> ProviderAnswer:
        body = self._channel.request(part, ref)
        status, answer, retry_after = await self._request("POST", self._send_to, orjson.dumps(body))
        if status in _ACCEPTED:
            found = answer.get("id")
            if isinstance(found, str) and 0 < len(found) <= _MAX_ID:
                return ProviderAnswer(found)
            # a repeated send carries the same ref, so the provider answers for the same message
            raise ProviderError(
                "carrier_unavailable", f"HTTP {status} without an id", permanent=False
            )
        detail = _detail(status, answer)
        if status == 429:
            raise ThrottledError(detail, retry_after)
        if status in _DOWN:
            raise ProviderError("carrier_unavailable", detail, permanent=False, down=True)
        if 400 <= status < 500:
            code = _error_code(answer)
            raise ProviderError(_REFUSALS.get(code, "carrier_rejected"), detail, permanent=True)
        raise ProviderError("carrier_unavailable", detail, permanent=False)

    async def probe(self) -> bool:
        try:
            status, _, _ = await self._request("GET", self._health_at, None)
        except ProviderError:
            return False
        return status not in _DOWN

    def parse_event(self, body: bytes) -> DeliveryReport:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _invalid("the body is not JSON") from None
        if not isinstance(data, dict):
            raise _invalid("the body is not a JSON object")
        found = data.get("id")
        if not isinstance(found, str) or not 0 < len(found) <= _MAX_ID:
            raise _invalid(f"id must be a string of 1 to {_MAX_ID} characters")
        word = data.get("status")
        if not isinstance(word, str) or not 0 < len(word) <= _MAX_ERROR:
            raise _invalid(f"status must be a string of 1 to {_MAX_ERROR} characters")
        error = data.get("error", "")
        if isinstance(error, int) and not isinstance(error, bool) and 0 <= error < 10**6:
            error = f"{error:03d}"  # SMSC.ru writes its codes with three digits
        if not isinstance(error, str) or len(error) > _MAX_ERROR:
            raise _invalid(f"error must be a string of at most {_MAX_ERROR} characters")
        return DeliveryReport((found,), self._channel.status(word), word, error)

    async def close(self) -> None:
        self._http.close()

    async def _request(
        self, method: str, target: Target, content: bytes | None
    ) -> tuple[int, dict[str, Any], float | None]:
        try:
            answer = await self._http.request(
                method,
                target,
                timeout=self._timeout,
                body=content,
                headers=self._json_headers if content is not None else self._headers,
                answer_headers=_RETRY_AFTER,
                max_body=self._limit,  # past it the body is not read: the status alone will do
            )
        except TimeoutError:
            detail = f"provider unreachable: no answer within {self._timeout:g} s"
            raise ProviderError("carrier_unavailable", detail, permanent=False, down=True) from None
        except HttpClientError as exc:  # refused, reset, closed, not HTTP, TLS
            detail = f"provider unreachable: {exc}"
            raise ProviderError("carrier_unavailable", detail, permanent=False, down=True) from None
        return answer.status, answer.json_object(), answer.retry_after()


def _error_code(body: dict[str, Any]) -> str:
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else ""


def _detail(status: int, body: dict[str, Any]) -> str:
    """What the provider said about an error, for the part's history (bounded)."""
    error = body.get("error")
    said = (error.get("message") or error.get("code")) if isinstance(error, dict) else error
    return f"HTTP {status}" + (f": {said[:200]}" if isinstance(said, str) and said else "")


def _invalid(detail: str) -> GatewayError:
    return GatewayError("invalid_request", detail)


__all__ = ["HttpProvider"]
