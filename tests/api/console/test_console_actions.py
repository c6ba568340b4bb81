"""The console's actions over real HTTP against a whole gateway (SQLite file, simulated carrier),
each checked by its effect: opt-outs refuse the next message, templates fill compose, the
account's callback URL, signing secret, SMPP login and allow-list take hold, the test callback
arrives signed, an operator's account and user changes, the error and route pages with data,
and the session cookie's Secure flag behind a proxy that ends TLS."""

from pathlib import Path

from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.channel import CallbackConfig
from smsgate.callbacks.signing import NATIVE, verify
from smsgate.engine.gateway import Gateway
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import BindTransceiver
from smsgate.transport.smpp_connection import SmppRequestError, connect
from tests.api.console.session import PASSWORD, ConsoleClient, account_id, csrf_of, run_console
from tests.api.harness import Running
from tests.api.smpp_server.customers import add_smpp_account, smpp_port

OPTED = "+819011110000"


def gateway_of(gw: Running) -> Gateway:
    assert gw.app.gateway is not None
    return gw.app.gateway


async def settled(gw: Running) -> None:
    """This node's caches take the changes now (the configuration watch's next look)."""
    await gateway_of(gw).config_watch.run_once()


def test_opt_outs_added_imported_and_removed_refuse_then_admit_messages(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        a = await account_id(gw.app, "a")
        queries = gateway_of(gw).queries
        added = await console.post("/console/opt-outs", number="+81 90-1111-0000", action="add")
        assert added.status_code == 303
        refused = await gw.send(to=OPTED)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "opted_out"
        assert (await gw.send("b", to=OPTED)).status_code == 202  # another account's number
        rows = "number\n+819011110001\n\n+819011110002,from the shop\n"
        imported = await console.post(
            "/console/opt-outs", files={"file": ("list.csv", rows, "text/csv")}
        )
        assert imported.status_code == 303 and "imported=2" in imported.headers["location"]
        page = await console.http.get(imported.headers["location"])
        assert "2 numbers imported." in page.text and "+819011110002" in page.text
        numbers = {o.number for o in await queries.opt_outs(a)}
        assert numbers == {"819011110000", "819011110001", "819011110002"}
        assert (await gw.send(to="+819011110002")).status_code == 422
        removed = await console.post("/console/opt-outs", number=OPTED, action="remove")
        assert removed.status_code == 303
        assert {o.number for o in await queries.opt_outs(a)} == numbers - {"819011110000"}
        assert (await gw.send(to=OPTED)).status_code == 202
        again = await console.post("/console/opt-outs", number=OPTED, action="remove")
        assert again.status_code == 404 and "has not opted out" in again.text
        assert (await console.post("/console/opt-outs", number="")).status_code == 400
        # a file with a bad number imports none of its numbers
        bad = "+819011110003\nnot a number\n"
        refused_file = await console.post(
            "/console/opt-outs", files={"file": ("bad.csv", bad, "text/csv")}
        )
        assert refused_file.status_code == 422
        assert "819011110003" not in {o.number for o in await queries.opt_outs(a)}

    run_console(tmp_path, body, "cust")


def test_a_template_is_saved_fills_compose_is_sent_and_deleted(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        a = await account_id(gw.app, "a")
        admin = gateway_of(gw).admin
        text = "Your code is <1234>"
        saved = await console.post("/console/compose/templates", name="otp", text=text)
        assert saved.status_code == 303 and "template=otp" in saved.headers["location"]
        assert await admin.templates(a) == [("otp", text)]
        compose = await console.http.get(saved.headers["location"])
        assert "Your code is &lt;1234&gt;</textarea>" in compose.text  # escaped, filled in
        sent = await console.post("/console/compose", to="+819012345678", text=text)
        message_id = sent.headers["location"].split("/")[-1].split("?")[0]
        stored = await gw.client.get(f"/v1/messages/{message_id}", headers=gw.headers())
        assert stored.json()["text"] == text
        deleted = await console.post("/console/compose/templates", name="otp", delete="1")
        assert deleted.status_code == 303 and await admin.templates(a) == []
        assert "No template yet." in (await console.get("/console/compose")).text
        gone = await console.post("/console/compose/templates", name="otp", delete="1")
        assert gone.status_code == 404

    run_console(tmp_path, body, "cust")


def test_callback_url_new_secret_and_the_test_callback(tmp_path: Path) -> None:
    receiver = CallbackReceiver()

    async def body(gw: Running, console: ConsoleClient) -> None:
        a = await account_id(gw.app, "a")
        admin = gateway_of(gw).admin
        base = await receiver.start()
        try:
            hook = f"{base}/hook"
            page = await console.post("/console/account/settings", callback_url=hook)
            assert page.status_code == 200 and "Settings saved." in page.text
            assert (await admin.account(a)).callback_url == hook
            first = await console.post("/console/account/secret")
            old = first.text.split('id="new-secret">')[1].split("<")[0]
            second = await console.post("/console/account/secret")
            new = second.text.split('id="new-secret">')[1].split("<")[0]
            assert old != new and (await admin.account(a)).webhook_secret == new
            tested = await console.post("/console/account/test-callback")
            assert "The receiver answered 200" in tested.text
            assert receiver.count == 1
            request = receiver.received[0]
            signature = request.headers[NATIVE.header.lower()]
            assert verify(new, hook, signature, body=request.body)
            assert not verify(old, hook, signature, body=request.body)
            assert b'"event":"test"' in request.body
            # a message without its own callback URL reports to the account's, signed alike
            message_id = (await gw.send()).json()["id"]
            await gw.wait_final([message_id])
            await receiver.wait_for(2, 10.0)
            status = receiver.received[1]
            assert message_id.encode() in status.body
            signed = status.headers[NATIVE.header.lower()]
            assert verify(new, hook, signed, body=status.body)
            bad = await console.post("/console/account/settings", callback_url="ftp://x/y")
            assert bad.status_code == 422 and "http or https" in bad.text
            assert (await admin.account(a)).callback_url == hook
            await console.post("/console/account/settings", callback_url="")
            unset = await console.post("/console/account/test-callback")
            assert unset.status_code == 400 and "set a callback URL first" in unset.text
        finally:
            await receiver.stop()

    run_console(tmp_path, body, "cust", callbacks=CallbackConfig(deny_networks=[]))


async def bind_status(port: int, system_id: str, password: str) -> int:
    """0 when the bind is taken (and undone), else the bind_resp's command_status."""
    bind = BindTransceiver(system_id=system_id, password=password)
    try:
        connection = await connect("127.0.0.1", port, bind, lambda c, p: None)
    except SmppRequestError as error:
        assert error.response is not None
        return error.response.command_status
    await connection.unbind_and_close()
    return 0


def test_the_smpp_login_and_the_allow_list_take_hold(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        alice = (await add_smpp_account(gw.app, "alice")).id
        port = smpp_port(gw.app)
        path = f"/console/account/smpp?account={alice}"
        saved = await console.post(path, system_id="alice2", password="newpw1")
        assert saved.status_code == 200 and "SMPP login saved." in saved.text
        assert await bind_status(port, "alice2", "newpw1") == 0
        assert await bind_status(port, "alice2", "secret") == CommandStatus.ESME_RBINDFAIL
        assert await bind_status(port, "alice", "secret") == CommandStatus.ESME_RBINDFAIL
        short = await console.post(path, system_id="alice2", password="abc")
        assert short.status_code == 400
        assert await bind_status(port, "alice2", "newpw1") == 0

        a = await account_id(gw.app, "a")
        settings = f"/console/account/settings?account={a}"
        fenced = await console.post(settings, ip_allow="192.0.2.0/24 2001:db8::/32")
        assert fenced.status_code == 200
        await settled(gw)
        refused = await gw.send()
        assert refused.status_code == 403, refused.text
        wrong = await console.post(settings, ip_allow="192.0.2.0/99")
        assert wrong.status_code == 400 and "allow-list" in wrong.text
        assert (await gateway_of(gw).admin.account(a)).ip_allow == "192.0.2.0/24 2001:db8::/32"
        await console.post(settings, ip_allow="127.0.0.1")
        await settled(gw)
        assert (await gw.send()).status_code == 202

    run_console(tmp_path, body, "op")


def test_an_operator_creates_suspends_resumes_and_deletes_accounts_and_adds_a_user(
    tmp_path: Path,
) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        admin = gateway_of(gw).admin
        created = await console.post("/console/accounts", name="newco", rate="5")
        assert created.status_code == 200
        assert "Account <strong>newco</strong> created" in created.text
        gw.keys["newco"] = created.text.split('id="new-key">')[1].split("<")[0]
        newco = await account_id(gw.app, "newco")
        assert (await admin.account(newco)).rate_limit == 5.0
        assert (await gw.send("newco")).status_code == 202
        assert (await console.post("/console/accounts", name="x", rate="fast")).status_code == 400

        suspended = await console.post(f"/console/accounts/{newco}", action="suspend")
        assert suspended.status_code == 303 and not (await admin.account(newco)).enabled
        await settled(gw)
        refused = await gw.send("newco")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert "suspended" in (await console.get("/console/accounts")).text
        await console.post(f"/console/accounts/{newco}", action="resume")
        await settled(gw)
        assert (await gw.send("newco")).status_code == 202
        # an account that has sent is kept: suspend it instead
        kept = await console.post(f"/console/accounts/{newco}", action="delete")
        assert kept.status_code == 409 and "suspend it instead" in kept.text
        assert "<h1>The account has messages and cannot be deleted</h1>" in kept.text
        assert "<code>account_not_deletable</code>" in kept.text and "final status" not in kept.text
        empty = (await console.post("/console/accounts", name="empty")).text
        assert "Account <strong>empty</strong> created" in empty
        empty_id = await account_id(gw.app, "empty")
        deleted = await console.post(f"/console/accounts/{empty_id}", action="delete")
        assert deleted.status_code == 303
        assert {a.name for a in await admin.accounts()} == {"a", "b", "newco"}
        odd = await console.post(f"/console/accounts/{newco}", action="archive")
        assert odd.status_code == 400

        user = await console.post(
            "/console/users", name="ann", role="customer", password=PASSWORD, account_id=newco
        )
        assert user.status_code == 303
        listed = await console.get("/console/users")
        assert "<td>ann</td><td>customer</td>" in listed.text
        short = await console.post("/console/users", name="bob", role="operator", password="x")
        assert short.status_code == 400 and await admin.user("bob") is None
        async with ConsoleClient(str(gw.client.base_url)) as ann:
            assert (await ann.login("ann")).status_code == 303
            assert "Compose for newco" in (await ann.get("/console/compose")).text

    run_console(tmp_path, body, "op")


def test_the_errors_and_routes_pages_show_their_data(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        assert gw.app.simulator is not None
        empty = await console.get("/console/errors")
        assert "No failed message in the last week." in empty.text
        gw.app.simulator.config.reject_destinations = ("8180",)
        failed = [(await gw.send(to=f"+81801234567{i}")).json()["id"] for i in range(2)]
        statuses = await gw.wait_final(failed)
        assert {s.value for s in statuses.values()} == {"failed"}
        shown = await gw.client.get(f"/v1/messages/{failed[0]}", headers=gw.headers())
        code = shown.json()["error_code"]
        assert code
        page = await console.get("/console/errors")
        assert f"<tr><td><code>{code}</code></td><td>2</td><td>2</td><td>2</td></tr>" in page.text

        gateway = gateway_of(gw)
        csv = "id,prefixes,connectors\ntokyo,8190,simulator\n"
        files = {"file": ("r.csv", csv.encode(), "text/csv")}
        await console.post("/console/routes/import", table="routes", files=files)
        files = {"file": ("p.csv", b"prefix,carrier\n+81701234,testnet\n", "text/csv")}
        await console.post("/console/routes/import", table="prefixes", files=files)
        routes = await console.get("/console/routes")
        assert routes.status_code == 200
        assert "<title>Routes · smsgate console</title>" in routes.text
        assert routes.text.count('id="t-table"') == 1  # the import form once, in the page
        assert "<td>tokyo</td>" in routes.text
        assert "<td>+81701234</td><td>testnet</td>" in routes.text
        assert [r.id for r in await gateway.admin.routes()] == ["tokyo"]

    run_console(tmp_path, body, "op")


def test_the_session_cookie_is_secure_when_a_trusted_proxy_says_https(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        https = {"X-Forwarded-Proto": "https"}
        form = await gw.client.get("/console/login", headers=https)
        assert "; Secure" in form.headers["set-cookie"]
        token = csrf_of(form)
        # a Secure cookie is not sent back over plain http: as the browser would over https
        fields = {"name": "op", "password": PASSWORD, "csrf": token, "next": "/console/"}
        answer = await gw.client.post(
            "/console/login", data=fields, headers={**https, "Cookie": f"smsgate_login={token}"}
        )
        assert answer.status_code == 303
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("smsgate_console=")
        )
        assert "; Secure" in cookie and "HttpOnly" in cookie
        # the visitor's own login over plain http: no Secure
        plain = (await console.http.get("/console/login")).headers["set-cookie"]
        assert "Secure" not in plain

    run_console(tmp_path, body, "op", http_trusted_proxies="127.0.0.1")


def test_the_session_cookie_ignores_x_forwarded_proto_from_an_untrusted_peer(
    tmp_path: Path,
) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        form = await gw.client.get("/console/login", headers={"X-Forwarded-Proto": "https"})
        assert form.status_code == 200
        assert "Secure" not in form.headers["set-cookie"]

    run_console(tmp_path, body, "cust", http_trusted_proxies="")
