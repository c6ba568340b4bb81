"""A multi-part message through the whole gateway: its status history and its callbacks name
each message status once, in order (part 1 sent while part 2 is in flight moves nothing)."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from smsgate.bench.receiver import CallbackReceiver
from tests.api.harness import running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

THREE_PARTS = "x" * 400  # GSM-7: 153 characters a part


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def test_three_part_message_reports_each_status_once(backend: StoreBackend) -> None:
    async def main() -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            async with running_gateway(backend.url) as gw:
                url = f"{base}/status"
                sent = await gw.send(callback_url=url, text=THREE_PARTS)
                assert sent.status_code == 202, sent.text
                message_id = sent.json()["id"]
                await gw.wait_final([message_id])
                await receiver.wait_for(3, 20)
                view = await gw.client.get(f"/v1/messages/{message_id}", headers=gw.headers())
                view.raise_for_status()
                body = view.json()
        finally:
            await receiver.stop()
        assert len(body["parts"]) == 3
        whole = [h["status"] for h in body["history"] if h["part"] is None]
        assert whole == ["queued", "sent", "delivered"]
        for seq in (1, 2, 3):
            assert [h["status"] for h in body["history"] if h["part"] == seq] == [
                "sent",
                "delivered",
            ]
        called = [orjson.loads(r.body)["status"] for r in receiver.received]
        assert called == ["queued", "sent", "delivered"]

    asyncio.run(main())
