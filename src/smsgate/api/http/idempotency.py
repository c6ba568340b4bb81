"""The `Idempotency-Key` request header of the native send endpoints.

The first response to a request that accepted something is stored with the messages it created
(one transaction), so a client that retries after a lost answer gets the same status and body
for 24 hours instead of sending again, across restarts. A request that accepted nothing (all
refused, throttled, the gateway busy) leaves no record, and retrying it acts again. The same key
with another request is refused; while the first request with a key is still being processed,
a second one waits for nothing and is told so (409).
"""

import asyncio
import hashlib
import logging
from typing import Final

from starlette.responses import Response

from smsgate.domain.errors import GatewayError
from smsgate.engine.clock import Clock
from smsgate.engine.queries import Queries
from smsgate.store.changes import IdempotentResponse

log = logging.getLogger(__name__)

HEADER: Final = "idempotency-key"
KEY_LIFETIME: Final = 86_400.0  # seconds a stored response is replayed
_MAX_KEY: Final = 255
_PURGE_EVERY: Final = 3_600.0


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()


class IdempotencyKeys:
    def __init__(self, queries: Queries, clock: Clock) -> None:
        self.queries = queries
        self.clock = clock
        self._held: set[tuple[str, str]] = set()  # keys of requests being processed
        self._purged_at = float("-inf")
        self._purge: asyncio.Task[None] | None = None

    async def replay(self, account_id: str, key: str, request_hash: str) -> Response | None:
        """The stored response to `key`, or None after taking the key for this request (give
        it back with `release`)."""
        if not key or len(key) > _MAX_KEY or not key.isprintable():
            raise GatewayError("invalid_request", f"Idempotency-Key: 1 to {_MAX_KEY} characters")
        held = (account_id, key)
        if held in self._held:
            raise GatewayError("idempotency_key_in_use")
        now = self.clock.time()
        self._purge_soon(now)
        found = await self.queries.idempotent_response(account_id, key, now - KEY_LIFETIME)
        if found is not None:
            if found.request_hash != request_hash:
                raise GatewayError("idempotency_key_reused")
            headers = {"Idempotent-Replayed": "true"}
            return Response(found.body, found.status_code, headers, media_type="application/json")
        if held in self._held:  # taken while the store was asked
            raise GatewayError("idempotency_key_in_use")
        self._held.add(held)
        return None

    def release(self, account_id: str, key: str) -> None:
        self._held.discard((account_id, key))

    def record(
        self, account_id: str, key: str, request_hash: str, status_code: int, body: bytes
    ) -> IdempotentResponse:
        now = self.clock.time()
        return IdempotentResponse(
            account_id, key, request_hash, status_code, body, now, now - KEY_LIFETIME
        )

    def _purge_soon(self, now: float) -> None:
        """Forget expired responses, at most once an hour, off the request's path."""
        if now - self._purged_at < _PURGE_EVERY or (self._purge and not self._purge.done()):
            return
        self._purged_at = now
        self._purge = asyncio.create_task(self._purge_expired(now - KEY_LIFETIME))

    async def _purge_expired(self, before: float) -> None:
        try:
            await self.queries.purge_idempotent_responses(before)
        except Exception as error:  # the store is closing or busy: the next hour will do
            log.warning("expired idempotency keys not purged: %s", error)
