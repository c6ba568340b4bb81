"""Every query parameter of every GET endpoint (as /openapi.json lists them), native and
dialects, given odd values (huge numbers, exponents, negatives, empty, NUL, bytes that are not
UTF-8, very long), is answered without a 5xx and without an unexpected failure logged: a
malformed parameter is a refusal from the catalog."""

import asyncio
import base64
import itertools
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.harness import add_account, running_gateway

BOT = "bot-fuzz"
# already percent-encoded, as they go into the query string
ODD_VALUES = (
    "",
    "1e20",
    "1E400",
    "-1",
    "-0",
    "0",
    "1.5",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1_000",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "%00",
    "a%00b",
    "%ff%fe",
    "%C0%80",
    "%",
    "%zz",
    "+",
    "%20",
    "%D9%A3",  # an Arabic-Indic digit three
    "9" * 400,
    "a" * 5000,
    "2026-13-45T99:99:99Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01",
    "-1000000000000",
    "[]",
    "%7B%7D",
)
_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(256), repeat=3))


@dataclass
class Target:
    path: str  # with its path parameters filled in
    params: list[str]
    headers: dict[str, str]
    fixed: dict[str, str]  # the credentials some dialects take as parameters


@dataclass
class Gateway:
    client: httpx.Client
    targets: list[Target]
    failures: list[logging.LogRecord]


class _Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _targets(document: dict[str, object], key: str) -> list[Target]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    basic = base64.b64encode(f"a-fuzz:{key}".encode()).decode()
    kddi = {
        "Authorization": f"Basic {basic}",
        "X-Plusmsg-mkn-Authorization": "Bearer smsonly",
        "X-Plusmsg-tmt-Authorization": "Bearer smsonly",
        "X-Plusmsg-gmp-Authorization": "Bearer smsonly",
        "X-Fallback": "2",
    }
    filled = {"aggregator": "kddi", "bot_id": BOT, "message_id": "0" * 32, "msg_id": "0" * 32}
    found = []
    for path, operations in paths.items():
        get = operations.get("get")
        if get is None or path.startswith("/docs"):
            continue
        names = [p["name"] for p in get.get("parameters", []) if p["in"] == "query"]
        headers: dict[str, str] = {"Authorization": f"Bearer {key}"}
        fixed: dict[str, str] = {}
        if path.startswith("/rest/"):
            headers = {"ApiUser": "a-fuzz", "ApiKey": key}
        elif path.startswith("/p5/"):
            fixed = {"token": key, "clientId": "a-fuzz"}
        elif path.startswith("/sys/"):
            fixed = {"apikey": key}
        elif "{bot_id}" in path:
            headers = kddi
        url = path
        for name, value in filled.items():
            url = url.replace("{" + name + "}", value)
        found.append(Target(url, names, headers, fixed))
    return found


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway in a thread of its own, behind a proxy on loopback (every request names
    another client address, so the per-address limits never mask an answer)."""
    db = str(Path(tmp_path_factory.mktemp("fuzz")) / "gateway.db")
    started = threading.Event()
    stop = threading.Event()
    found: dict[str, str] = {}

    async def main() -> None:
        async with running_gateway(db, http_trusted_proxies="127.0.0.1", rate_limit=1e9) as gw:
            assert gw.app.http is not None and gw.app.store is not None
            key = await add_account(gw.app, "a-fuzz", bot_id=BOT)
            found.update(base=f"http://127.0.0.1:{gw.app.http.port}", key=key)
            started.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    failures = _Failures()
    logging.getLogger("smsgate").addHandler(failures)
    thread = threading.Thread(target=asyncio.run, args=(main(),))
    thread.start()
    try:
        assert started.wait(30)
        with httpx.Client(base_url=found["base"], timeout=10) as client:
            document = client.get("/openapi.json").json()
            yield Gateway(client, _targets(document, found["key"]), failures.records)
    finally:
        stop.set()
        thread.join(30)
        logging.getLogger("smsgate").removeHandler(failures)


def ask(gateway: Gateway, target: Target, name: str, value: str) -> httpx.Response:
    query = [f"{k}={v}" for k, v in target.fixed.items() if k != name] + [f"{name}={value}"]
    headers = {**target.headers, "X-Forwarded-For": next(_addresses)}
    return gateway.client.get(f"{target.path}?{'&'.join(query)}", headers=headers)


def check(gateway: Gateway, target: Target, name: str, value: str) -> None:
    answer = ask(gateway, target, name, value)
    where = f"GET {target.path}?{name}={value[:60]}"
    assert answer.status_code < 500, f"{where}: {answer.status_code} {answer.text[:300]}"
    assert not gateway.failures, f"{where}: {gateway.failures[0].getMessage()}"


def test_the_endpoints_have_query_parameters_to_try(gateway: Gateway) -> None:
    paths = {t.path for t in gateway.targets if t.params}
    assert {"/v1/messages", "/rest/messaging/v1/list", "/p5/api/status.json"} <= paths
    assert {"/sys/status.php", "/v1/inbound"} <= paths


def test_odd_values_of_every_query_parameter(gateway: Gateway) -> None:
    for target in gateway.targets:
        for name in target.params:
            for value in ODD_VALUES:
                check(gateway, target, name, value)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_text_in_any_query_parameter(gateway: Gateway, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from([t for t in gateway.targets if t.params]))
    name = data.draw(st.sampled_from(target.params))
    value = data.draw(
        st.one_of(
            st.text(max_size=40).map(quote),
            st.binary(max_size=20).map(quote),
            st.integers().map(str),
            st.floats().map(repr),
            st.sampled_from(ODD_VALUES),
        )
    )
    check(gateway, target, name, value)
