"""The console in a real headless Chromium: log in, send from compose and watch the message
reach `delivered` on its page, a bulk upload with its progress, search, key rotation, a customer
kept to its own account and out of operator pages, a form with a forged CSRF token refused.
Each main page's screenshot goes to docs/console/ (shown in docs/console.md)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.console.browser import SCREENSHOTS, Site, chromium, require_browser, served_gateway
from tests.api.console.session import PASSWORD, account_id

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT = 30.0  # seconds for a page or a change to show


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with served_gateway(str(tmp_path_factory.mktemp("browser") / "c.db")) as served:
        yield served


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def shot(driver: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def login(driver: Any, site: Site, name: str, *, picture: bool = False) -> None:
    driver.get(site.base + "/console/")
    WebDriverWait(driver, WAIT).until(expected_conditions.url_contains("/console/login"))
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    if picture:
        shot(driver, "login")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, WAIT).until(expected_conditions.title_contains("Dashboard"))


def text_of(driver: Any, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def test_compose_then_watch_delivered_and_search(site: Site, browser: Any) -> None:
    login(browser, site, "op", picture=True)
    a = site.call(account_id(site.running.app, "a"))
    browser.get(f"{site.base}/console/compose?account={a}")
    browser.find_element(By.ID, "to").send_keys("+819012345678")
    browser.find_element(By.ID, "text").send_keys("Hello from the console")
    WebDriverWait(browser, WAIT).until(lambda d: "GSM7 · 1 segment" in text_of(d, "counter"))
    browser.find_element(By.ID, "text").send_keys(" — ünïcödé ✓")
    WebDriverWait(browser, WAIT).until(lambda d: "UCS2" in text_of(d, "counter"))
    shot(browser, "compose")
    browser.find_element(By.CSS_SELECTOR, "form[action^='/console/compose?'] button").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.title_contains("Message"))

    def delivered(driver: Any) -> bool:
        if text_of(driver, "message-status") == "delivered":
            return True
        driver.refresh()
        return False

    WebDriverWait(browser, WAIT, poll_frequency=0.3).until(delivered)
    assert "DELIVRD" in browser.page_source or "delivered" in browser.page_source
    shot(browser, "message")

    browser.get(f"{site.base}/console/messages?account={a}")
    browser.find_element(By.ID, "f-number").send_keys("+81 90 1234 5678")
    browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("number="))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.messages tbody tr")
    assert len(rows) == 1 and "Hello from the console" in rows[0].text
    shot(browser, "messages")

    browser.get(f"{site.base}/console/?account={a}")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "svg.chart polyline")
    )
    shot(browser, "dashboard")


def test_bulk_upload_shows_progress_and_row_errors(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    login(browser, site, "cust")
    csv_file = tmp_path / "campaign.csv"
    rows = [f"+8190{i:08d},Bulk message {i}" for i in range(200)]
    csv_file.write_text("to,text\n" + "\n".join(rows) + "\nnot a number,bad row\n")
    browser.get(site.base + "/console/compose")
    browser.find_element(By.ID, "file").send_keys(str(csv_file))
    browser.find_element(By.ID, "bulk-tag").send_keys("spring")
    browser.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.title_contains("Bulk send"))
    WebDriverWait(browser, WAIT).until(lambda d: "Finished" in text_of(d, "bulk-figures"))
    bar = browser.find_element(By.ID, "bulk-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "201"
    assert "200 accepted, 1 refused" in text_of(browser, "bulk-figures")
    assert "line 202: invalid_destination" in text_of(browser, "bulk-errors")
    shot(browser, "bulk")


def test_key_rotation_shows_the_key_once_and_it_works(site: Site, browser: Any) -> None:
    login(browser, site, "cust")
    browser.get(site.base + "/console/account")
    browser.find_element(By.CSS_SELECTOR, "button[value=rotate]").click()
    key = WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "new-key")).text
    shot(browser, "account")
    answer = httpx.get(
        site.base + "/v1/messages", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert answer.status_code == 200
    browser.get(site.base + "/console/account")
    assert key not in browser.page_source  # shown once


def test_customer_is_kept_to_its_account_and_out_of_operator_pages(
    site: Site, browser: Any
) -> None:
    theirs = site.call(site.running.send("b", text="b's secret")).json()["id"]
    login(browser, site, "cust")
    nav = browser.find_element(By.CSS_SELECTOR, "nav").text
    assert "Accounts" not in nav and "Dead letters" not in nav
    browser.get(site.base + "/console/accounts")
    assert "this page is for operators" in browser.page_source
    browser.get(f"{site.base}/console/messages/{theirs}")
    assert "No such message" in browser.page_source
    browser.get(site.base + "/console/messages")
    assert "b&#39;s secret" not in browser.page_source and "b's secret" not in browser.page_source


def test_a_form_with_a_forged_csrf_token_is_refused(site: Site, browser: Any) -> None:
    login(browser, site, "cust")
    browser.get(site.base + "/console/compose")
    browser.execute_script(
        "document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged');"
    )
    browser.find_element(By.ID, "to").send_keys("+819012345678")
    browser.find_element(By.ID, "text").send_keys("should not go")
    browser.find_element(By.CSS_SELECTOR, "form[action^='/console/compose?'] button").click()
    WebDriverWait(browser, WAIT).until(lambda d: "CSRF" in d.page_source)
    assert site.running.app.gateway is not None
    a = site.call(account_id(site.running.app, "a"))
    sent, _ = site.call(site.running.app.gateway.queries.messages(a, limit=1000))
    assert sent and all(m.text != "should not go" for m in sent)


def test_operator_pages_render(site: Site, browser: Any) -> None:
    login(browser, site, "op")
    for path, name in (
        ("/console/accounts", "accounts"),
        ("/console/dead-letters", "dead-letters"),
        ("/console/connectors", "connectors"),
        ("/console/inbound", "inbound"),
        ("/console/opt-outs", "opt-outs"),
        ("/console/routes", "routes"),
        ("/console/errors", "errors"),
        ("/console/users", "users"),
    ):
        browser.get(site.base + path)
        WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "h1"))
        assert "Internal error" not in browser.page_source
        shot(browser, name)
    browser.set_window_size(390, 844)  # a phone
    browser.get(site.base + "/console/messages")
    shot(browser, "messages-phone")
