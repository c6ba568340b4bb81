"""The REST client of a MaaP-style RCS platform (GSMA MaaP chatbot API, as RBM-like platforms
offer it), on the project's lean HTTP/1.1 client (`callbacks/http_client.py`: keep-alive
connections, one write per request, httptools): a message costs a capability query and a
send, and a general-purpose client's per-request overhead was most of the gateway's CPU on
this path. Every request carries `Authorization: Bearer <token>`
and goes under `{base_url}/bot/v1/{botId}`:

- send: `POST messages` with `{"RCSMessage": {<content>, "msgId"}, "messageContact":
  {"userContact": "+81..."}}`; 202 `{"RCSMessage": {"msgId", "status": "pending"}}`; 404 the
  user cannot receive RCS; 429 over the bot's rate (Retry-After in seconds); 401 a bad token;
  400 a malformed request. smsgate names the message (`msgId`, a UUID derived from the part)
  so that a send repeated after a lost answer is the same message to the platform.
- revoke: `PUT messages/{msgId}/status` with `{"RCSMessage": {"status": "cancelled"}}`; 204
  revoked; 404 unknown msgId; 409 `{"RCSMessage": {"status": "delivered"|"displayed"}}`.
- capability: `GET contactCapabilities?userContact=%2B81...`; 200 `{"capabilities": [...]}`,
  404 not capable.

The client only moves requests and answers: what an answer means for a part is the
connector's business. An answer's body is read up to a limit (past it the body counts as
empty); a request that got no answer at all raises `PlatformUnreachableError`.
"""

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import orjson

from smsgate.callbacks.http_client import (
    HttpClient,
    HttpClientError,
    Target,
    parse_target,
)
from smsgate.connectors.rcs.config import RcsConnectorConfig

USER_AGENT: Final = b"smsgate-rcs/1"
_RETRY_AFTER: Final = ("retry-after",)


class PlatformUnreachableError(Exception):
    """No answer: the connection failed, was cut, or the request timed out."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]  # the answer's JSON object; {} when it had none (or too large a one)
    retry_after: float | None = None  # seconds, from a Retry-After header in seconds

    @property
    def detail(self) -> str:
        """What the platform said about an error, for a part's history."""
        error = self.body.get("error")
        if isinstance(error, dict):
            error = error.get("message") or error.get("code")
        return f"HTTP {self.status}" + (f": {error}" if isinstance(error, str) and error else "")


class RcsClient:
    def __init__(self, config: RcsConnectorConfig) -> None:
        self._limit = config.max_answer_bytes
        self._timeout = config.request_timeout
        self._root: Target = parse_target(config.api_root)
        self._headers = {"Authorization": f"Bearer {config.token}"}
        self._json_headers = {**self._headers, "Content-Type": "application/json"}
        # the in-flight sends, plus room for revokes, capability queries and the probe
        self._http = HttpClient(config.max_in_flight + 8, user_agent=USER_AGENT)

    async def send(self, bot: str, user: str, content: dict[str, Any], msg_id: str) -> Answer:
        """Send `content` (an RCSMessage object) from `bot` to `user` (E.164 digits)."""
        body = {"RCSMessage": {**content, "msgId": msg_id}, "messageContact": _contact(user)}
        return await self._request("POST", f"/{_segment(bot)}/messages", body)

    async def revoke(self, bot: str, msg_id: str) -> Answer:
        path = f"/{_segment(bot)}/messages/{_segment(msg_id)}/status"
        return await self._request("PUT", path, {"RCSMessage": {"status": "cancelled"}})

    async def capabilities(self, bot: str, user: str) -> Answer:
        path = f"/{_segment(bot)}/contactCapabilities?userContact={_segment('+' + user)}"
        return await self._request("GET", path)

    async def close(self) -> None:
        self._http.close()

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        try:
            answer = await self._http.request(
                method,
                self._root.joined(path),
                timeout=self._timeout,
                body=orjson.dumps(body) if body is not None else None,
                headers=self._json_headers if body is not None else self._headers,
                answer_headers=_RETRY_AFTER,
                max_body=self._limit,
            )
        except TimeoutError:
            raise PlatformUnreachableError(f"no answer within {self._timeout:g} s") from None
        except HttpClientError as exc:  # refused, reset, closed, not HTTP, TLS
            raise PlatformUnreachableError(str(exc)) from None
        return Answer(answer.status, answer.json_object(), answer.retry_after())


def _contact(user: str) -> dict[str, str]:
    return {"userContact": f"+{user}"}


def _segment(value: str) -> str:
    return quote(value, safe="")


__all__ = ["Answer", "PlatformUnreachableError", "RcsClient"]
