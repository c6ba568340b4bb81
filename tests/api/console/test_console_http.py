"""The console over real HTTP against a whole gateway (SQLite file, simulated carrier): login,
cookies, CSRF, lockout, roles, search, export, cancel, compose, bulk, keys (the first one
rotated, more created and revoked), and each attempt of a message's callbacks."""

import asyncio
import html
import re
import time
from pathlib import Path

import pytest

from smsgate.api.console import search
from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.channel import CallbackConfig
from smsgate.domain.outbox import AttemptOutcome, OutboxState
from smsgate.domain.status import Status
from tests.api.console.session import (
    PASSWORD,
    ConsoleClient,
    account_id,
    csrf_of,
    run_console,
)
from tests.api.harness import Running


def test_root_and_pages_send_a_stranger_to_the_login(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        root = await console.get("/")
        assert (root.status_code, root.headers["location"]) == (307, "/console/")
        page = await console.get("/console/messages", status="sent")
        assert page.status_code == 303
        assert (
            page.headers["location"] == "/console/login?next=%2Fconsole%2Fmessages%3Fstatus%3Dsent"
        )
        login = await console.get("/console/login")
        assert login.status_code == 200 and "Content-Security-Policy" in login.headers
        assert (await console.get("/console/static/console.css")).status_code == 200

    run_console(tmp_path, body)


def test_login_sets_a_strict_http_only_cookie_and_logout_ends_it(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        wrong = await console.login("op", "not the password")
        assert wrong.status_code == 401 and "wrong user name or password" in wrong.text
        answer = await console.login("op")
        assert answer.status_code == 303 and answer.headers["location"] == "/console/"
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("smsgate_console=")
        )
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
        dashboard = await console.get("/console/")
        assert dashboard.status_code == 200 and "Traffic per minute" in dashboard.text
        out = await console.post("/console/logout")
        assert out.status_code == 303
        assert (await console.get("/console/")).status_code == 303  # the session is gone

    run_console(tmp_path, body)


def test_posts_without_the_sessions_csrf_token_are_refused(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        await console.login("cust")
        sent = {"to": "+819012345678", "text": "csrf test"}
        missing = await console.http.post("/console/compose", data=sent)
        wrong = await console.http.post("/console/compose", data={**sent, "csrf": "x" * 43})
        assert missing.status_code == wrong.status_code == 403
        assert "CSRF" in wrong.text
        assert await gw.app.gateway.queries.messages(await account_id(gw.app, "a")) == ([], None)  # type: ignore[union-attr]
        # the login form's own token is a cookie echoed in the form
        other = ConsoleClient(str(gw.client.base_url))
        refused = await other.http.post(
            "/console/login", data={"name": "op", "password": PASSWORD, "csrf": "forged"}
        )
        assert refused.status_code == 403
        await other.http.aclose()

    run_console(tmp_path, body)


def test_repeated_failures_lock_the_user_even_with_the_right_password(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        for _ in range(5):
            assert (await console.login("cust", "guess guess guess")).status_code == 401
        locked = await console.login("cust")
        assert locked.status_code == 429 and "too many failed logins for cust" in locked.text
        user = await gw.app.gateway.admin.user("cust")  # type: ignore[union-attr]
        assert user is not None and user.failures == 5 and user.locked_until > time.time()
        # another user is not locked by them (the address has not reached its own limit)
        assert (await console.login("op")).status_code == 303
        # a new password lifts the lock
        await gw.app.gateway.admin.set_password("cust", PASSWORD)  # type: ignore[union-attr]
        assert (await console.login("cust")).status_code == 303

    run_console(tmp_path, body)


def test_a_customer_sees_its_own_account_only(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        theirs = (await gw.send("b", text="for b only")).json()["id"]
        ours = (await gw.send("a", text="for a")).json()["id"]
        b_id = await account_id(gw.app, "b")
        await console.login("cust")
        listing = await console.get("/console/messages")
        assert "for a" in listing.text and "for b only" not in listing.text
        assert (await console.get(f"/console/messages/{ours}")).status_code == 200
        assert (await console.get(f"/console/messages/{theirs}")).status_code == 404
        assert (await console.get(f"/console/messages/{theirs}", account=b_id)).status_code == 403
        assert (await console.get("/console/messages", account=b_id)).status_code == 403
        for page in ("/console/accounts", "/console/dead-letters", "/console/connectors"):
            assert (await console.get(page)).status_code == 403, page
        assert (await console.post("/console/accounts", name="x")).status_code == 403

    run_console(tmp_path, body)


def test_search_export_detail_and_cancel_of_a_scheduled_message(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        first = await gw.send("a", text="Hello\n~~~\ninvoice 42", client_ref="r-1", tag="t1")
        scheduled = await gw.send("a", to="+819011112222", text="later", scheduled_at=later)
        assert first.status_code == scheduled.status_code == 202
        first_id, later_id = first.json()["id"], scheduled.json()["id"]
        await console.login("cust")
        by_comment = await console.get("/console/messages", comment="invoice")
        assert first_id in by_comment.text and later_id not in by_comment.text
        by_number = await console.get("/console/messages", number="+81 90-1111-2222")
        assert later_id in by_number.text and first_id not in by_number.text
        assert first_id in (await console.get("/console/messages", client_ref="r-1")).text
        assert later_id in (await console.get("/console/messages", status="scheduled")).text
        assert (await console.get("/console/messages", status="nope")).status_code == 400
        found = await console.get("/console/messages", id=first_id)
        assert found.status_code == 303 and first_id in found.headers["location"]
        csv_text = (await console.get("/console/messages.csv", tag="t1")).text.splitlines()
        assert csv_text[0].startswith("id,created_at,status") and len(csv_text) == 2
        assert first_id in csv_text[1] and "invoice 42" in csv_text[1]
        detail = await console.get(f"/console/messages/{later_id}")
        assert "Cancel this message" in detail.text
        canceled = await console.post(f"/console/messages/{later_id}/cancel")
        assert canceled.status_code == 303
        assert (
            'id="message-status">canceled<'
            in (await console.get(f"/console/messages/{later_id}")).text
        )

    run_console(tmp_path, body)


def test_a_page_longer_than_a_store_read_is_read_in_parts_and_pages_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MAX_PAGE", 7)  # a page of 50 is then 8 reads of the store

    async def body(gw: Running, console: ConsoleClient) -> None:
        answers = await asyncio.gather(*(gw.send("a", text=f"number {i}") for i in range(55)))
        newest = sorted((a.json()["id"] for a in answers), reverse=True)  # ids sort by time
        await console.login("cust")
        first = await console.get("/console/messages", limit="50")
        shown = re.findall(r'href="/console/messages/([0-9a-f]{32})', first.text)
        assert shown == newest[:50]  # newest first, none twice across the reads
        assert "50 shown; more on the next page." in first.text
        link = re.search(r'rel="next" href="/console/messages(\?[^"]+)"', first.text)
        assert link is not None and "limit=50" in link.group(1)
        rest = await console.http.get("/console/messages" + html.unescape(link.group(1)))
        assert re.findall(r'href="/console/messages/([0-9a-f]{32})', rest.text) == newest[50:]
        assert "5 shown." in rest.text and 'rel="next"' not in rest.text
        whole = await console.get("/console/messages", limit="10000")
        assert "55 shown." in whole.text and 'rel="next"' not in whole.text
        assert (await console.get("/console/messages", limit="5000")).status_code == 400

    run_console(tmp_path, body)


def test_compose_preview_bulk_and_key_rotation(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        await console.login("cust")
        size = (await console.get("/console/compose/preview", text="Привет" * 20)).json()
        assert (size["encoding"], size["segments"], size["characters"]) == ("ucs2", 2, 120)
        sent = await console.post("/console/compose", to="+819012345678", text="from compose")
        assert sent.status_code == 303
        message_id = sent.headers["location"].split("/")[-1].split("?")[0]
        await gw.wait_final([message_id])
        assert gw.final[message_id] is Status.DELIVERED
        rows = (
            "to,text,client_ref\n"
            + "".join(f"+8190{i:08d},bulk {i},b-{i}\n" for i in range(30))
            + ",no number,\n"
        )
        upload = await console.post(
            "/console/compose/bulk", tag="camp", files={"file": ("s.csv", rows, "text/csv")}
        )
        assert upload.status_code == 303
        job = upload.headers["location"].split("/")[-1].split("?")[0]
        for _ in range(200):
            progress = (await console.get(f"/console/bulk/{job}.json")).json()
            if progress["finished"]:
                break
            await asyncio.sleep(0.05)
        assert (progress["total"], progress["accepted"], progress["errors"]) == (31, 30, 1)
        assert progress["rows"] == [{"line": 32, "reason": "to and text are required"}]
        cached = await gw.client.get("/v1/messages", headers=gw.headers("a"))
        assert cached.status_code == 200  # the key is in the API's key cache (5 s) from here
        page = await console.get("/console/account")
        rotated = await console.post("/console/account/key", action="rotate", csrf=csrf_of(page))
        new_key = rotated.text.split('id="new-key">')[1].split("<")[0]
        api = await gw.client.get("/v1/messages", headers={"Authorization": f"Bearer {new_key}"})
        assert api.status_code == 200 and len(api.json()["messages"]) == 31
        old = await gw.client.get("/v1/messages", headers=gw.headers("a"))
        assert old.status_code == 401  # refused at once: rotating here dropped the cache
        await console.post("/console/account/key", action="revoke")
        again = await gw.client.get("/v1/messages", headers={"Authorization": f"Bearer {new_key}"})
        assert again.status_code == 401  # the new key was cached too; revoked at once

    run_console(tmp_path, body)


def test_more_api_keys_are_created_with_a_label_shown_once_and_revoked_one_by_one(
    tmp_path: Path,
) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        gateway = gw.app.gateway
        assert gateway is not None
        await console.login("cust")
        page = await console.get("/console/account")
        assert "No other keys." in page.text and '<th scope="col">Label</th>' in page.text
        created = await console.post("/console/account/keys", label="ci <deploy>")
        assert created.status_code == 200
        secret = created.text.split('id="added-key">')[1].split("<")[0]
        assert "ci &lt;deploy&gt;" in created.text  # the label, escaped
        (key,) = await gateway.admin.api_keys(await account_id(gw.app, "a"))
        assert (
            key.label == "ci <deploy>"
            and secret not in (await console.get("/console/account")).text
        )
        by_new = {"Authorization": f"Bearer {secret}"}
        assert (await gw.client.get("/v1/messages", headers=by_new)).status_code == 200
        assert (await gw.client.get("/v1/messages", headers=gw.headers("a"))).status_code == 200
        # without the session's CSRF token: refused, nothing revoked
        forged = await console.http.post("/console/account/keys/revoke", data={"key_id": key.id})
        assert forged.status_code == 403
        # a customer cannot revoke another account's key
        b_id = await account_id(gw.app, "b")
        theirs, their_secret = await gateway.admin.add_api_key(b_id, "b's")
        other = await console.post("/console/account/keys/revoke", key_id=theirs.id)
        assert other.status_code == 404
        by_theirs = {"Authorization": f"Bearer {their_secret}"}
        assert (await gw.client.get("/v1/messages", headers=by_theirs)).status_code == 200
        revoked = await console.post("/console/account/keys/revoke", key_id=key.id)
        assert (
            revoked.status_code == 200 and "The key (ci &lt;deploy&gt;) is revoked." in revoked.text
        )
        assert "No other keys." in revoked.text
        # refused at once (the key was in the API's key cache); the first key goes on
        assert (await gw.client.get("/v1/messages", headers=by_new)).status_code == 401
        assert (await gw.client.get("/v1/messages", headers=gw.headers("a"))).status_code == 200
        too_long = await console.post("/console/account/keys", label="x" * 101)
        assert too_long.status_code == 400 and "100 characters" in too_long.text

    run_console(tmp_path, body)


def test_the_message_page_shows_each_attempt_of_a_callback(tmp_path: Path) -> None:
    """A receiver that fails once, then takes everything: the first callback shows its two
    attempts (the 500, then the 200), each later one its single attempt."""
    receiver = CallbackReceiver(status=500)
    callbacks = CallbackConfig(first_retry=0.1, jitter=0.0, poll_interval=0.05, deny_networks=[])

    async def body(gw: Running, console: ConsoleClient) -> None:
        gateway = gw.app.gateway
        assert gateway is not None
        account = await account_id(gw.app, "a")
        url = await receiver.start()
        try:
            message_id = (await gw.send(callback_url=f"{url}/status")).json()["id"]
            await receiver.wait_for(1, 10.0)
            receiver.status = 200  # the first answer was a 500: its retry gets a 200
            await gw.wait_final([message_id])
            for _ in range(500):  # until every callback of the message is settled as done
                owed = await gateway.queries.callbacks(account, message_id)
                if owed and all(c.item.state is OutboxState.DONE for c in owed):
                    break
                await asyncio.sleep(0.02)
        finally:
            await receiver.stop()
        first, *later = owed
        assert [(a.attempt, a.outcome, a.code) for a in first.attempts] == [
            (1, AttemptOutcome.RETRY, 500),
            (2, AttemptOutcome.DELIVERED, 200),
        ]
        assert later and all(len(c.attempts) == 1 for c in later)
        assert (await console.login("cust")).status_code == 303
        page = (await console.get(f"/console/messages/{message_id}")).text
        assert f"{first.item.event}</span> callback to <code>{url}/status</code>" in page
        assert "done after 2 attempts" in page
        rows = re.findall(
            r"<tr><td>[-0-9: ]+</td><td>(\d+)</td><td>(\w+)</td>"
            r'<td class="text">([^<]*)</td><td>(\d+ ms)</td></tr>',
            page,
        )
        assert [row[:3] for row in rows[:2]] == [
            ("1", "retry", "HTTP 500"),
            ("2", "delivered", "HTTP 200"),
        ]
        assert len(rows) == 2 + len(later)

    run_console(tmp_path, body, callbacks=callbacks)
