"""An HLR lookup that finds a number ported feeds the number-portability table: the router's in
memory at once (its SMS take the new carrier's routes), the store's for the next start."""

import asyncio
import time
from pathlib import Path

from smsgate.connectors.hlr.portability import PortabilityFeed
from smsgate.domain.carrier_seed import JP_CARRIER_PREFIXES
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.clock import SystemClock
from smsgate.engine.router import EngineRouter
from smsgate.store import open_store

NUMBER = "819012345678"


def lookup(result: dict[str, object], channel: str = "hlr") -> Message:
    now = time.time()
    return Message(
        "m1", "a", "shop", 5, 0, NUMBER, "", "", 0, 1, now, now, now + 60, channel=channel,
        result=result,
    )  # fmt: skip


def test_a_ported_number_is_routed_to_its_new_carrier(tmp_path: Path) -> None:
    async def main() -> None:
        store = await open_store(str(tmp_path / "feed.db"))
        try:
            await store.replace_carrier_prefixes(JP_CARRIER_PREFIXES, "test")
            router = await EngineRouter.load(store)
            before = router.carrier(NUMBER)
            assert before is not None and before != "rakuten"
            feed = PortabilityFeed(store, router.carriers, SystemClock())
            # not a lookup, not ported, not delivered: nothing changes
            ported = {"ported": True, "mcc": "440", "mnc": "11"}  # Rakuten Mobile
            feed(lookup(ported, channel="sms"), Status.DELIVERED)
            feed(lookup({"ported": False, "mcc": "440", "mnc": "10"}), Status.DELIVERED)
            feed(lookup(ported), Status.UNDELIVERED)
            await feed.drain()
            assert router.carrier(NUMBER) == before and feed.fed == 0
            feed(lookup(ported), Status.DELIVERED)
            await feed.drain()
            assert router.carrier(NUMBER) == "rakuten" and feed.fed == 1
            reloaded = await EngineRouter.load(store)
            assert reloaded.carrier(NUMBER) == "rakuten"
        finally:
            await store.close()

    asyncio.run(main())
