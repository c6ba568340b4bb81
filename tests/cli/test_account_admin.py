"""`smsgate account list|show|suspend|resume|rotate-key|delete` on a real SQLite file, and
against a running gateway over the wire: a suspended account is refused over HTTP (403) and
SMPP (ESME_RBINDFAIL) from the next request and bind, a rotated key at once (401), and a
delete refuses until the account is suspended and its messages are finished, then leaves
nothing of it."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from smsgate.api.http.auth import KEY_CACHE_TTL
from smsgate.app import App
from smsgate.cli import main
from smsgate.domain.account import Account, hash_api_key, hash_password
from smsgate.domain.inbound import InboundNumber
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import BindTransceiver
from smsgate.store import open_store
from smsgate.transport.smpp_connection import SmppRequestError, connect
from tests.api.harness import TIMEOUT, running_gateway


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command in a thread of its own (it runs its own event loop), as from a shell."""
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def bind_status(app: App, system_id: str, password: str) -> int:
    assert app.smpp is not None and app.smpp.port is not None
    bind = BindTransceiver(system_id=system_id, password=password)
    try:
        connection = await asyncio.wait_for(
            connect("127.0.0.1", app.smpp.port, bind, lambda c, p: None), TIMEOUT
        )
    except SmppRequestError as refused:
        assert refused.response is not None
        return refused.response.command_status
    await connection.unbind_and_close()
    return 0


async def answered(request: Callable[[], Awaitable[httpx.Response]], status: int) -> httpx.Response:
    """The first answer with `status`, asking again until the gateway's key cache lets go of
    the account it holds (KEY_CACHE_TTL), or the last answer a while after that."""
    deadline = time.monotonic() + KEY_CACHE_TTL + 5
    while True:
        response = await request()
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


def test_list_and_show_tell_everything_but_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "accounts.db")
    code, out, _ = run(
        capsys, "account", "create", "--name", "shop", "--db", db, "--json",
        "--smpp-system-id", "shop01", "--smpp-password", "pw-shop",
    )  # fmt: skip
    assert code == 0
    created = json.loads(out)
    run(capsys, "account", "create", "--name", "quiet", "--db", db)
    run(capsys, "account", "balance", "set", "shop", "12.5", "--db", db)
    run(capsys, "account", "callbacks", "shop", "--url", "https://shop.example/cb", "--db", db)

    code, out, _ = run(capsys, "account", "list", "--db", db, "--json")
    assert code == 0
    listed = {row["name"]: row for row in json.loads(out)}
    assert listed["shop"] == {
        "id": created["id"], "name": "shop", "enabled": True, "smpp_system_id": "shop01",
        "rate": 30.0, "balance": "12.5", "callback_url": "https://shop.example/cb",
    }  # fmt: skip
    assert listed["quiet"]["balance"] == "postpaid" and listed["quiet"]["smpp_system_id"] is None

    code, out, _ = run(capsys, "account", "list", "--db", db)
    header, *lines = out.splitlines()
    assert header.split() == [
        "id", "name", "enabled", "smpp_system_id", "rate", "balance", "callback_url",
    ]  # fmt: skip
    assert len(lines) == 2 and any(line.split()[1:4] == ["shop", "yes", "shop01"] for line in lines)

    code, out, _ = run(capsys, "account", "show", "shop", "--db", db, "--json")
    shown = json.loads(out)
    assert (shown["id"], shown["api_key"], shown["smpp_password"]) == (created["id"], "set", "set")
    assert shown["webhook_secret"] == "set" and shown["waiting"] == {}
    code, out, _ = run(capsys, "account", "show", created["id"], "--db", db)
    assert code == 0 and "callback_url" in out and "waiting           nothing" in out
    for secret in (created["api_key"], created["webhook_secret"], "pw-shop", "scrypt$"):
        assert secret not in out and secret not in json.dumps(shown)

    code, _, err = run(capsys, "account", "show", "nobody", "--db", db)
    assert code == 2 and "no account is called 'nobody'" in err
    code, out, _ = run(capsys, "account", "list", "--suspended", "--db", db)
    assert out.strip() == "(no accounts)"


def test_a_suspended_account_is_refused_over_http_and_smpp_and_resumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "suspend.db")

    async def body() -> None:
        async with running_gateway(db) as gw:
            assert gw.app.store is not None
            account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
            assert account is not None
            account.smpp_system_id, account.smpp_password_hash = "alice", hash_password("secret")
            await gw.app.store.update_account(account)
            assert (await gw.send()).status_code == 202
            assert await bind_status(gw.app, "alice", "secret") == 0

            code, out, _ = await cli(capsys, "account", "suspend", "a", "--db", db)
            assert code == 0 and "account 'a' is now suspended" in out
            assert "refused (403)" in out and "ESME_RBINDFAIL" in out
            refused = await answered(gw.send, 403)  # once the key cache let go
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
            assert (await gw.send("b")).status_code == 202  # other accounts go on
            assert await bind_status(gw.app, "alice", "secret") == CommandStatus.ESME_RBINDFAIL
            code, out, _ = await cli(capsys, "account", "list", "--suspended", "--db", db)
            assert [line.split()[1] for line in out.splitlines()[1:]] == ["a"]

            code, out, _ = await cli(capsys, "account", "suspend", "a", "--db", db)
            assert code == 0 and "was already suspended" in out
            code, out, _ = await cli(capsys, "account", "resume", "a", "--db", db)
            assert code == 0 and "account 'a' is now active" in out
            assert (await answered(gw.send, 202)).status_code == 202
            assert await bind_status(gw.app, "alice", "secret") == 0

    asyncio.run(body())


def test_a_rotated_key_stops_working_within_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "rotate.db")

    async def body() -> None:
        async with running_gateway(db) as gw:
            old = gw.keys["a"]
            assert (await gw.client.get("/v1/balance", headers=gw.headers())).status_code == 200
            code, out, _ = await cli(capsys, "account", "rotate-key", "a", "--db", db, "--json")
            assert code == 0
            new = json.loads(out)["api_key"]
            assert new != old and new.startswith("sg_")
            old_header = {"Authorization": f"Bearer {old}"}
            answer = await answered(lambda: gw.client.get("/v1/balance", headers=old_header), 401)
            assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
            gw.keys["a"] = new
            assert (await gw.send()).status_code == 202

            code, out, _ = await cli(capsys, "account", "rotate-key", "a", "--db", db)
            newer = out.splitlines()[0].removeprefix("api_key: ")
            assert code == 0 and newer not in (old, new) and "shown once" in out
            assert (await answered(gw.send, 401)).status_code == 401

    asyncio.run(body())


def test_delete_waits_for_suspension_and_finished_messages_then_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "delete.db")

    async def body() -> None:
        async with running_gateway(db) as gw:
            store = gw.app.store
            assert store is not None
            delivered = (await gw.send()).json()["id"]
            await gw.wait_final([delivered])
            later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            scheduled = (await gw.send(scheduled_at=later)).json()
            assert scheduled["status"] == "scheduled", scheduled
            account = await store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
            assert account is not None
            await store.add_inbound_number(InboundNumber("819011112222", "", account.id, 1.0))
            kept = (await gw.send("b")).json()["id"]

            code, _, err = await cli(capsys, "account", "delete", "a", "--yes", "--db", db)
            assert code == 2 and "is active; suspend it first" in err
            await cli(capsys, "account", "suspend", "a", "--db", db)
            code, _, err = await cli(capsys, "account", "delete", "a", "--yes", "--db", db)
            assert code == 2 and "still being worked on (1 scheduled)" in err
            assert await store.get_message(scheduled["id"]) is not None  # nothing deleted

            await cli(capsys, "account", "resume", "a", "--db", db)
            canceled = await gw.client.post(
                f"/v1/messages/{scheduled['id']}/cancel", headers=gw.headers()
            )
            assert canceled.status_code == 200, canceled.text
            await cli(capsys, "account", "suspend", "a", "--db", db)
            code, _, err = await cli(capsys, "account", "delete", "a", "--db", db)
            assert code == 2 and "add --yes" in err
            assert await store.get_account(account.id) is not None

            code, out, _ = await cli(
                capsys, "account", "delete", "a", "--yes", "--json", "--db", db
            )
            assert code == 0
            deleted = json.loads(out)["deleted"]
            assert deleted["messages"] == 2 and deleted["accounts"] == 1
            assert deleted["inbound_numbers"] == 1
            assert await store.get_account(account.id) is None
            assert await store.get_message(delivered) is None
            assert await store.history(delivered) == []
            assert await store.list_inbound_numbers(account.id) == []
            # the key is gone with the account
            assert (await answered(gw.send, 401)).status_code == 401
            assert await store.get_message(kept) is not None  # another account's stays

            code, _, err = await cli(capsys, "account", "delete", account.id, "--yes", "--db", db)
            assert code == 2 and "no account is called" in err

    asyncio.run(body())


def test_a_delete_stopped_half_way_is_finished_by_running_it_again(tmp_path: Path) -> None:
    """The account row goes last: a store that lost its messages but kept the account (a delete
    stopped there) is deleted by the next run."""
    db = str(tmp_path / "again.db")

    async def body() -> None:
        store = await open_store(db)
        try:
            await store.create_account(Account(id="acct-1", name="gone", enabled=False))
            assert await store.delete_account("acct-1") == {
                "messages": 0, "inbound": 0, "outbox_attempts": 0, "outbox": 0,
                "inbound_numbers": 0, "opt_outs": 0, "balances": 0, "idempotency_keys": 0,
                "submitted_parts": 0, "rcs_subscribers": 0, "message_templates": 0,
                "console_users": 0, "api_keys": 0, "accounts": 1,
            }  # fmt: skip
            assert await store.delete_account("acct-1") == {
                "messages": 0, "inbound": 0, "outbox_attempts": 0, "outbox": 0,
                "inbound_numbers": 0, "opt_outs": 0, "balances": 0, "idempotency_keys": 0,
                "submitted_parts": 0, "rcs_subscribers": 0, "message_templates": 0,
                "console_users": 0, "api_keys": 0, "accounts": 0,
            }  # fmt: skip
        finally:
            await store.close()

    asyncio.run(body())
