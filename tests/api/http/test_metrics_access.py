"""/metrics shows volumes and connector ids: by default only loopback reads it; metrics_allow
names who may, metrics_token opens it to a bearer token from anywhere."""

import asyncio
from pathlib import Path
from typing import Any

from tests.api.harness import running_gateway


def statuses(tmp_path: Path, headers: list[dict[str, str]], **settings: Any) -> list[int]:
    async def main() -> list[int]:
        async with running_gateway(str(tmp_path / "gateway.db"), **settings) as gw:
            return [(await gw.client.get("/metrics", headers=h)).status_code for h in headers]

    return asyncio.run(main())


def test_loopback_reads_metrics_by_default(tmp_path: Path) -> None:
    assert statuses(tmp_path, [{}]) == [200]


def test_an_address_outside_metrics_allow_is_refused(tmp_path: Path) -> None:
    assert statuses(tmp_path, [{}], metrics_allow="192.0.2.0/24") == [403]
    # the client a configured proxy names is checked, not the proxy
    forwarded = {"X-Forwarded-For": "203.0.113.5"}
    assert statuses(tmp_path, [forwarded], http_trusted_proxies="127.0.0.1") == [403]


def test_the_token_opens_metrics_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    asked = [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer s3cret"}]
    assert statuses(tmp_path, asked, metrics_allow="", metrics_token="s3cret") == [401, 401, 200]
