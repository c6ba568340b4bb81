"""The embedded set-up (`smsgate serve` without a file) reads national numbers as Japan's, as
the built-in carrier table is Japan's, and its banner says so; the banner's +message example
goes through as printed, and the console login it prints works."""

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx

from smsgate.app import App
from smsgate.cli.serve import RICH_CARD, ready_banner
from smsgate.config import EMBEDDED_COUNTRY, Config, embedded, load_config
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from tests.api.console.session import ConsoleClient

CONSOLE_LINE = re.compile(r"console +(http://\S+)/console/ +user (\S+) password (\S+)")


@asynccontextmanager
async def embedded_app(tmp_path: Path) -> AsyncIterator[App]:
    """The embedded set-up on free ports, its demo account made."""
    config = Config(db=str(tmp_path / "var" / "smsgate.db"), http_port=0, smpp_port=None)
    embedded(config, env={"SMSGATE_SMPP_TLS_PORT": "0"})  # no TLS port: none to take here
    app = App(config)
    await app.start()
    try:
        assert app.http is not None and app.demo is not None
        yield app
    finally:
        await app.stop()


def test_embedded_accepts_a_national_number_and_the_banner_names_the_country_and_console(
    tmp_path: Path,
) -> None:
    assert load_config(env={}).engine.default_country is None  # only the embedded set-up

    async def main() -> None:
        async with embedded_app(tmp_path) as app:
            assert app.http is not None and app.demo is not None
            assert app.config.engine.default_country == EMBEDDED_COUNTRY == "JP"
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

    asyncio.run(main())


def test_the_banners_rich_card_is_delivered_and_read_by_rcs(tmp_path: Path) -> None:
    async def main() -> None:
        async with embedded_app(tmp_path) as app:
            assert app.http is not None and app.demo is not None and app.gateway is not None
            assert RICH_CARD in ready_banner(app)  # the body the banner's curl sends
            reached: dict[str, list[Status]] = {}
            changed = asyncio.Event()

            def on_change(message: Message, status: Status) -> None:
                reached.setdefault(message.id, []).append(status)
                changed.set()

            app.gateway.listeners.append(on_change)
            rcs = app.rcs_simulator
            assert rcs is not None  # its handsets read quicker than a person: a short wait
            rcs.config = replace(rcs.config, delivery_delay=0.05, read_delay=0.05)
            async with httpx.AsyncClient() as client:
                sent = await client.post(
                    f"http://127.0.0.1:{app.http.port}/v1/messages",
                    content=RICH_CARD.encode(),
                    headers={
                        "Authorization": f"Bearer {app.demo.api_key}",
                        "Content-Type": "application/json",
                    },
                )
            assert sent.status_code == 202, sent.text
            accepted = sent.json()
            assert (accepted["channel"], accepted["fallback"]) == ("rcs", ["sms"])
            async with asyncio.timeout(10):
                while Status.DISPLAYED not in reached.get(accepted["id"], []):
                    changed.clear()
                    await changed.wait()
            assert reached[accepted["id"]][-2:] == [Status.DELIVERED, Status.DISPLAYED]
            # by RCS only: the simulated carrier took no SMS
            assert app.simulator is not None and not app.simulator.messages
            (received,) = rcs.handset(accepted["to"])
            assert received.content["richcardMessage"]["message"]["generalPurposeCard"]

    asyncio.run(main())
