"""A whole gateway served from a thread of its own, for tests that drive a real browser (which
blocks the test's thread), and headless Chromium through Selenium.

Chromium and chromedriver come from Debian's packages (`make browser`); where they are missing
the browser tests are skipped with that reason, except under CI=true, where that is a failure."""

import asyncio
import os
import threading
from collections.abc import Awaitable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.api.console.session import account_id, add_users
from tests.api.harness import Running, running_gateway

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMEDRIVER: Final = Path("/usr/bin/chromedriver")
SCREENSHOTS: Final = Path(__file__).parents[3] / "docs" / "console"
START_TIMEOUT: Final = 60.0

T = TypeVar("T")


def require_browser() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    reason = (
        "Chromium is not installed (apt-get install chromium chromium-driver; "
        "`make test` does it as root)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


@dataclass
class Site:
    running: Running
    loop: asyncio.AbstractEventLoop
    base: str

    def call(self, work: Awaitable[T], timeout: float = 30.0) -> T:
        """Run `work` on the gateway's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)  # type: ignore[arg-type]


@contextmanager
def served_gateway(db: str) -> Iterator[Site]:
    loop = asyncio.new_event_loop()
    ready: threading.Event = threading.Event()
    stop = asyncio.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        async with AsyncExitStack() as stack:
            running = await stack.enter_async_context(running_gateway(db))
            await add_users(running.app, await account_id(running.app, "a"))
            holder["running"] = running
            ready.set()
            await stop.wait()

    def serve() -> None:
        try:
            loop.run_until_complete(main())
        except BaseException as error:  # reported to the test thread
            holder["error"] = error
            ready.set()

    thread = threading.Thread(target=serve, name="gateway", daemon=True)
    thread.start()
    assert ready.wait(START_TIMEOUT), "the gateway did not start"
    if "error" in holder:
        raise holder["error"]
    running: Running = holder["running"]
    try:
        yield Site(running, loop, str(running.client.base_url))
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(START_TIMEOUT)
        loop.close()


@contextmanager
def chromium() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # tests run as root in containers, where the sandbox cannot start
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--disable-gpu",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
