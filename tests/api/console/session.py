"""A console visitor over real HTTP: logs in through the form, keeps its cookies, reads each
page's CSRF token and posts forms with it."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from smsgate.app import App
from smsgate.engine.administration import Administration
from tests.api.harness import Running, running_gateway

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "correct horse battery"
TIMEOUT = 60.0  # seconds a console test may take


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


class ConsoleClient:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30.0)
        self.csrf = ""

    async def __aenter__(self) -> "ConsoleClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.http.get("/console/login")
        answer = await self.http.post(
            "/console/login",
            data={"name": name, "password": password, "csrf": csrf_of(form), "next": "/console/"},
        )
        if answer.status_code == 303:
            self.csrf = csrf_of(await self.http.get("/console/"))
        return answer

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params)

    async def post(self, path: str, **fields: Any) -> httpx.Response:
        files = fields.pop("files", None)
        return await self.http.post(path, data={"csrf": self.csrf, **fields}, files=files)


async def add_users(app: App, customer_account: str) -> None:
    """An operator `op` and a customer `cust` of `customer_account`."""
    assert app.gateway is not None
    admin: Administration = app.gateway.admin
    await admin.create_user("op", "operator", PASSWORD)
    await admin.create_user("cust", "customer", PASSWORD, customer_account)


async def account_id(app: App, name: str) -> str:
    assert app.store is not None
    return next(a.id for a in await app.store.list_accounts() if a.name == name)


def run_console(
    tmp_path: Path,
    body: Callable[[Running, ConsoleClient], Awaitable[None]],
    login: str | None = None,
    **settings: Any,
) -> None:
    """`body` with a whole gateway (SQLite file under `tmp_path`, `settings` for it), the
    console users of account "a" (`add_users`), and a visitor, logged in as `login` if given."""

    async def main() -> None:
        async with (
            asyncio.timeout(TIMEOUT),
            running_gateway(str(tmp_path / "c.db"), **settings) as gw,
        ):
            await add_users(gw.app, await account_id(gw.app, "a"))
            async with ConsoleClient(str(gw.client.base_url)) as console:
                if login is not None:
                    assert (await console.login(login)).status_code == 303
                await body(gw, console)

    asyncio.run(main())
