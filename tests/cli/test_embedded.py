"""The embedded set-up (`smsgate serve` without a file) reads national numbers as Japan's, as
the built-in carrier table is Japan's, and its banner says so; the console login it prints
works."""

import asyncio
import re
from pathlib import Path

import httpx

from smsgate.app import App
from smsgate.cli.serve import ready_banner
from smsgate.config import EMBEDDED_COUNTRY, Config, embedded, load_config
from tests.api.console.session import ConsoleClient

CONSOLE_LINE = re.compile(r"console +(http://\S+)/console/ +user (\S+) password (\S+)")


def test_embedded_accepts_a_national_number_and_the_banner_names_the_country_and_console(
    tmp_path: Path,
) -> None:
    assert load_config(env={}).engine.default_country is None  # only the embedded set-up
    config = Config(db=str(tmp_path / "var" / "smsgate.db"), http_port=0, smpp_port=None)
    embedded(config, env={"SMSGATE_SMPP_TLS_PORT": "0"})  # no TLS port: none to take here
    assert config.engine.default_country == EMBEDDED_COUNTRY == "JP"

    async def main() -> None:
        app = App(config)
        await app.start()
        try:
            assert app.http is not None and app.demo is not None
            banner = ready_banner(app)
            assert "country       JP" in banner
            async with httpx.AsyncClient() as client:
                sent = await client.post(
                    f"http://127.0.0.1:{app.http.port}/v1/messages",
                    json={"to": "090-1234-5678", "text": "hello"},
                    headers={"Authorization": f"Bearer {app.demo.api_key}"},
                )
            assert sent.status_code == 202, sent.text
            assert sent.json()["to"] == "+819012345678"
            printed = CONSOLE_LINE.search(banner)
            assert printed is not None, banner
            url, user, password = printed.groups()
            assert url.endswith(f":{app.http.port}")
            async with ConsoleClient(f"http://127.0.0.1:{app.http.port}") as console:
                assert (await console.login(user, "not " + password)).status_code == 401
                assert (await console.login(user, password)).status_code == 303
                accounts = await console.get("/console/accounts")
                assert accounts.status_code == 200 and app.demo.account_id in accounts.text
        finally:
            await app.stop()

    asyncio.run(main())
