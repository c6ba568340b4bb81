"""A callback host is judged by what it resolves to at delivery time."""

import asyncio

import pytest

from smsgate.callbacks.hosts import check_host
from smsgate.domain.callback_urls import DenyList
from smsgate.domain.errors import GatewayError


def test_a_name_is_judged_by_what_it_resolves_to() -> None:
    async def main() -> None:
        with pytest.raises(GatewayError, match="denied range"):
            await check_host(DenyList(), "localhost", 80)
        await check_host(DenyList(["10.0.0.0/8"]), "localhost", 80)  # 127.0.0.1 is fine there
        await check_host(DenyList([]), "localhost", 80)

    asyncio.run(main())
