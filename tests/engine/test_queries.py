"""The engine's read side on both backends: whatever an interface asks about one account, it
never gets another account's data, and a cursor that is not ours is a GatewayError."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.inbound import InboundMessage, OptOut
from smsgate.domain.status import Status
from smsgate.engine.queries import Balance, IdempotentAnswer, Queries
from smsgate.store import Store
from smsgate.store.changes import IdempotentResponse
from tests.store.backends import BACKENDS, StoreBackend, store_backend
from tests.store.factories import new_account, new_message


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as backend:
        yield backend


def _inbound(account_id: str, text: str) -> InboundMessage:
    return InboundMessage(
        id=new_id(),
        connector_id="c1",
        source="819011112222",
        destination="81312345678",
        text=text,
        data_coding=0,
        payload=text.encode(),
        received_at=1000.0,
        account_id=account_id,
    )


async def _accounts(s: Store) -> tuple[Account, Account]:
    a = new_account("a", key_hash="hash-a", system_id="sys-a")
    b = new_account("b", key_hash="hash-b", system_id="sys-b")
    for account in (a, b):
        await s.create_account(account)
    return a, b


def test_no_query_answers_with_another_accounts_data(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        a, b = await _accounts(s)
        mine = dataclasses.replace(new_message(a.id, client_ref="ref-1"), tag="t", source="S")
        theirs = dataclasses.replace(new_message(b.id, client_ref="ref-1"), tag="t", source="S")
        await s.write(
            [
                mine,
                theirs,
                _inbound(a.id, "for a"),
                _inbound(b.id, "for b"),
                OptOut(a.id, "819000000001", 1000.0),
                OptOut(b.id, "819000000002", 1000.0),
                IdempotentResponse(a.id, "key", "hash-a", 202, b"a", 1000.0, 0.0),
                IdempotentResponse(b.id, "key", "hash-b", 202, b"b", 1000.0, 0.0),
            ]
        )
        await s.set_balance(b.id, 5_000_000, 1000.0)
        queries = Queries(s)

        assert (await queries.message(a.id, mine.id)).id == mine.id
        for read in (queries.message, queries.message_with_history):
            with pytest.raises(GatewayError) as refused:
                await read(a.id, theirs.id)
            assert refused.value.code == "not_found"
        message, history = await queries.message_with_history(a.id, mine.id)
        assert message.id == mine.id and history
        assert {change.message_id for change in history} == {mine.id}

        found = await queries.message_by_client_ref(a.id, "ref-1")
        assert found is not None and found.id == mine.id
        listed, cursor = await queries.messages(a.id, client_ref="ref-1", tag="t")
        assert [m.id for m in listed] == [mine.id] and cursor is None
        page, total = await queries.message_page(a.id, source="S", tag="t")
        assert [m.id for m in page] == [mine.id] and total == 1
        assert await queries.status_counts(a.id, tag="t") == {Status.ACCEPTED: 1}

        inbound, _ = await queries.inbound(a.id)
        assert [m.text for m in inbound] == ["for a"]
        assert [o.number for o in await queries.opt_outs(a.id)] == ["819000000001"]

        assert await queries.balance(a.id) is None  # postpaid, whatever b holds
        assert await queries.balance(b.id) == Balance(5_000_000, 1000.0)
        assert await queries.idempotent_response(a.id, "key", 0.0) == IdempotentAnswer(
            "hash-a", 202, b"a", 1000.0
        )

        by_key = await queries.account_by_api_key_hash("hash-a")
        by_login = await queries.account_by_system_id("sys-b")
        assert by_key is not None and by_key.id == a.id
        assert by_login is not None and by_login.id == b.id

    store.run(body)


def test_a_cursor_that_is_not_ours_is_an_invalid_request(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        queries = Queries(s)
        for read in (queries.messages, queries.inbound):
            with pytest.raises(GatewayError) as refused:
                await read("acct-1", cursor="!!")
            assert refused.value.code == "invalid_request"

    store.run(body)


def test_expired_idempotent_responses_are_purged(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        await s.write([IdempotentResponse("acct-1", "old", "h", 202, b"{}", 1000.0, 0.0)])
        await s.write([IdempotentResponse("acct-1", "new", "h", 202, b"{}", 5000.0, 0.0)])
        queries = Queries(s)
        assert await queries.purge_idempotent_responses(2000.0) == 1
        assert await queries.idempotent_response("acct-1", "old", 0.0) is None
        assert await queries.idempotent_response("acct-1", "new", 0.0) is not None
        assert queries.store_backlog == 0  # every write above has committed

    store.run(body)
