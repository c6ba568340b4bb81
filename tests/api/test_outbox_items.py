"""The engine writes what a customer is owed (status callbacks, SMPP receipts) into the outbox
with the status changes that cause it, through the whole stack on both store backends."""

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.outbox import OutboxItem
from smsgate.engine.commands import SendCommand
from tests.api.harness import Running, running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


async def account_of(gw: Running, name: str) -> Account:
    assert gw.app.store is not None
    account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys[name]))
    assert account is not None
    return account


async def owed(gw: Running, account: Account, message_id: str) -> list[OutboxItem]:
    assert gw.app.store is not None
    items, _ = await gw.app.store.list_outbox(account.id, subject_id=message_id)
    return items[::-1]  # oldest first


EVENTS = ["queued", "sent", "delivered"]


def test_every_status_of_a_message_with_a_callback_is_owed_in_order(
    backend: StoreBackend,
) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            announced: list[OutboxItem] = []
            assert gw.app.gateway is not None and gw.app.store is not None
            gw.app.gateway.outbox_listeners.append(announced.append)
            account = await account_of(gw, "a")
            response = await gw.send(callback_url="https://client.example/cb", client_ref="o-1")
            assert response.status_code == 202
            message_id = response.json()["id"]
            # the acceptance's item is committed with the message, before the answer (the
            # carrier, answering at once, may have made it sent by the time this reads)
            first = [i.event for i in await owed(gw, account, message_id)]
            assert first[:1] == ["queued"] and first == EVENTS[: len(first)]
            await gw.wait_final([message_id])
            await gw.app.gateway.writer.drain()
            items = await owed(gw, account, message_id)
            assert [i.event for i in items] == EVENTS
            assert {(i.channel, i.url) for i in items} == {("http", "https://client.example/cb")}
            delivered = items[-1].payload
            assert delivered["id"] == message_id and delivered["client_ref"] == "o-1"
            assert delivered["to"] == "+819012345678" and delivered["segments"] == 1
            assert len(delivered["dlrDate"]) == 10 and items[0].payload["dlrDate"] is None
            assert sorted(i.id for i in announced) == [i.id for i in items]
            # a message without a URL, from an account without a default, owes nothing
            plain = (await gw.send()).json()["id"]
            await gw.wait_final([plain])
            await gw.app.gateway.writer.drain()
            assert await owed(gw, account, plain) == []

    asyncio.run(main())


def test_account_default_url_and_smpp_receipts(backend: StoreBackend) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            assert gw.app.gateway is not None and gw.app.store is not None
            account = replace(await account_of(gw, "b"), callback_url="https://b.example/status")
            await gw.app.store.update_account(account)
            by_http, by_smpp, smpp_no_receipt = await gw.app.gateway.accept(
                account,
                [
                    SendCommand(to="+819012345678", text="web"),
                    SendCommand(to="+819012345678", text="bind", origin="smpp"),
                    SendCommand(
                        to="+819012345678",
                        text="bind, no receipt",
                        origin="smpp",
                        registered_delivery=False,
                    ),
                ],
            )
            ids = [
                m.id for m in (by_http, by_smpp, smpp_no_receipt) if not isinstance(m, Exception)
            ]
            assert len(ids) == 3
            # (a message that asks for no receipt gets none from the carrier either: it stays sent)
            sent = asyncio.Event()
            gw.app.gateway.outbox_listeners.append(
                lambda item: (
                    sent.set() if (item.subject_id, item.event) == (ids[2], "sent") else None
                )
            )
            await gw.wait_final(ids[:2])
            await asyncio.wait_for(sent.wait(), 30)
            await gw.app.gateway.writer.drain()
            web = await owed(gw, account, ids[0])
            assert [(i.channel, i.event, i.url) for i in web] == [
                ("http", s, "https://b.example/status") for s in ("queued", "sent", "delivered")
            ]
            # SMPP with registered_delivery: the final status only, as a receipt on the bind
            receipt = await owed(gw, account, ids[1])
            assert [(i.channel, i.event, i.url) for i in receipt] == [("smpp", "delivered", None)]
            assert receipt[0].payload["text_head"] == "bind"
            # SMPP without registered_delivery: the account's HTTP callback
            fallback = await owed(gw, account, ids[2])
            assert [(i.channel, i.event) for i in fallback] == [
                ("http", "queued"),
                ("http", "sent"),
            ]

    asyncio.run(main())
