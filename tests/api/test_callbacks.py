"""Status callbacks through the whole gateway: HTTP send -> simulated carrier -> signed POSTs to
a receiver on loopback, in order; bad callback URLs refused at acceptance."""

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.signing import verify
from smsgate.domain.account import hash_api_key
from tests.api.harness import running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

SECRET = "whsec-end-to-end"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def test_signed_callbacks_for_every_status_in_order(backend: StoreBackend) -> None:
    async def main() -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            async with running_gateway(backend.url) as gw:
                assert gw.app.store is not None
                account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
                assert account is not None
                await gw.app.store.update_account(replace(account, webhook_secret=SECRET))
                url = f"{base}/status?acct=a"
                sent = [
                    (await gw.send(callback_url=url, text=f"hi {i}")).json()["id"] for i in range(3)
                ]
                await receiver.wait_for(9, 20)
                bad = await gw.send(callback_url="ftp://client.example/cb")
                assert bad.status_code == 422
                assert bad.json()["error"]["code"] == "invalid_callback_url"
        finally:
            await receiver.stop()
        order: dict[str, list[str]] = {}
        for request in receiver.received:
            assert verify(SECRET, url, request.headers["x-smsgate-signature"], body=request.body)
            payload = orjson.loads(request.body)
            order.setdefault(payload["id"], []).append(payload["status"])
        assert order == {m: ["queued", "sent", "delivered"] for m in sent}

    asyncio.run(main())
