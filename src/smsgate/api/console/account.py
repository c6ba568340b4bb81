"""The account's own page: API keys (the first one rotated and shown once, or revoked; more keys
created with a label, each shown once, and revoked one by one), SMPP login and options
(what data_coding 0 means; MCONn, ISO and SINGLE are the bind's system_type), address
allow-list, callback URL and signing secret with a test callback, balance and prices, and the
dialect settings (the KDDI bot id; a Reach or p5 client uses the account's id and API key)."""

import time
from dataclasses import replace
from typing import Any, Final

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.api.console.pages import render
from smsgate.api.console.visitors import Visitor, Visitors
from smsgate.callbacks.signing import NATIVE, sign
from smsgate.domain.account import DATA_CODING_0, Account, hash_password, new_webhook_secret
from smsgate.domain.allow_list import parse_allow_list
from smsgate.domain.callback_urls import check_url
from smsgate.domain.credentials import CredentialError, check_smpp_password, check_system_id
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway

TEST_TIMEOUT: Final = 5.0  # seconds a test callback waits for the receiver
MIN_SMPP_PASSWORD: Final = 6


def routes(gateway: Gateway, visitors: Visitors) -> list[Route]:
    async def page(request: Request, visitor: Visitor, account: Account, **shown: Any) -> Response:
        return render(
            request,
            "account.html",
            visitor,
            account=account,
            accounts=await gateway.admin.accounts() if visitor.operator else [account],
            api_keys=await gateway.admin.api_keys(account.id),
            balance=await gateway.queries.balance(account.id),
            prices=await gateway.admin.prices(),
            **shown,
        )

    async def show(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        return await page(request, visitor, await visitors.account(request, visitor))

    async def key(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        if form.get("action") == "revoke":
            await gateway.admin.revoke_api_key(account.id)
            account = await gateway.admin.account(account.id)
            return await page(request, visitor, account, notice="The API key is revoked.")
        new_key = await gateway.admin.rotate_api_key(account.id)
        account = await gateway.admin.account(account.id)
        return await page(request, visitor, account, new_key=new_key)

    async def add_key(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        added, secret = await gateway.admin.add_api_key(account.id, str(form.get("label", "")))
        return await page(request, visitor, account, added_key=added, added_secret=secret)

    async def revoke_key(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        revoked = await gateway.admin.revoke_account_key(account.id, str(form.get("key_id", "")))
        shown = f" ({revoked.label})" if revoked.label else ""
        return await page(request, visitor, account, notice=f"The key{shown} is revoked.")

    async def settings(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        values = {
            name: str(form.get(name, "")).strip() for name in ("callback_url", "ip_allow", "bot_id")
        }
        if any(len(v) > 2000 for v in values.values()):
            raise GatewayError("parameter_too_long", "a setting is at most 2000 characters")
        callback_url = values["callback_url"] or None
        if callback_url is not None:
            check_url(callback_url, gateway.acceptance.callback_deny)
        try:
            parse_allow_list(values["ip_allow"])
        except ValueError as error:
            raise GatewayError("invalid_request", f"allow-list: {error}") from None
        changed = replace(
            account,
            callback_url=callback_url,
            ip_allow=values["ip_allow"] or None,
            bot_id=values["bot_id"] or None,
        )
        await gateway.admin.update_account(changed)
        return await page(request, visitor, changed, notice="Settings saved.")

    async def secret(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        await visitors.form(request, visitor)
        changed = replace(account, webhook_secret=new_webhook_secret())
        await gateway.admin.update_account(changed)
        return await page(request, visitor, changed, new_secret=changed.webhook_secret)

    async def smpp(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        system_id = str(form.get("system_id", "")).strip()
        password = str(form.get("password", ""))
        try:
            check_system_id(system_id)
            check_smpp_password(password, MIN_SMPP_PASSWORD)
        except CredentialError as error:
            raise GatewayError("invalid_request", str(error)) from None
        changed = replace(
            account, smpp_system_id=system_id, smpp_password_hash=hash_password(password)
        )
        await gateway.admin.update_account(changed)
        return await page(request, visitor, changed, notice="SMPP login saved.")

    async def smpp_options(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        chosen = str(form.get("data_coding_0", ""))
        if chosen not in DATA_CODING_0:
            raise GatewayError(
                "invalid_request", f"data_coding 0 means one of {', '.join(DATA_CODING_0)}"
            )
        # "gsm" is the default: stored as unset, as an account created without it
        changed = replace(account, data_coding_0=None if chosen == "gsm" else chosen)
        await gateway.admin.update_account(changed)
        return await page(
            request, visitor, changed, notice="SMPP options saved; binds made from now use them."
        )

    async def test_callback(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        await visitors.form(request, visitor)
        if not account.callback_url:
            raise GatewayError("missing_parameter", "set a callback URL first")
        url = check_url(account.callback_url, gateway.acceptance.callback_deny)
        body = orjson.dumps({"event": "test", "account_id": account.id, "at": time.time()})
        headers = {"Content-Type": "application/json"}
        if account.webhook_secret:
            headers[NATIVE.header] = sign(account.webhook_secret, url, NATIVE, body=body)
        started = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=TEST_TIMEOUT, follow_redirects=False) as client:
                answer = await client.post(url, content=body, headers=headers)
            result = f"The receiver answered {answer.status_code}"
        except httpx.HTTPError as error:
            result = f"The callback failed: {type(error).__name__} {error}".strip()
        elapsed = (time.monotonic() - started) * 1000
        return await page(request, visitor, account, test_result=f"{result} in {elapsed:.0f} ms.")

    return [
        Route("/account", show, methods=["GET"]),
        Route("/account/key", key, methods=["POST"]),
        Route("/account/keys", add_key, methods=["POST"]),
        Route("/account/keys/revoke", revoke_key, methods=["POST"]),
        Route("/account/settings", settings, methods=["POST"]),
        Route("/account/secret", secret, methods=["POST"]),
        Route("/account/smpp", smpp, methods=["POST"]),
        Route("/account/smpp-options", smpp_options, methods=["POST"]),
        Route("/account/test-callback", test_callback, methods=["POST"]),
    ]
