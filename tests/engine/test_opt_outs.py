"""The in-memory opt-out list: loaded from the store (what other nodes committed too), kept in
step with this node's commits, even one that lands while a reload reads the store."""

import asyncio
from pathlib import Path

import pytest

from smsgate.domain.inbound import OptOut
from smsgate.engine.opt_outs import OptOutList
from smsgate.store import Store
from tests.store.backends import BACKENDS, store_backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_reload_sees_other_nodes_and_keeps_changes_made_meanwhile(
    backend: str, tmp_path: Path
) -> None:
    async def body(store: Store) -> None:
        opt_outs = OptOutList()
        await store.write([OptOut("a", "819011112222", 1.0)])  # by another node
        await opt_outs.load(store)
        assert opt_outs.blocked("a", "819011112222") and not opt_outs.blocked("b", "819011112222")
        # this node commits an opt-in and an opt-out while a reload reads the store
        await store.write([OptOut("a", "819011112222", 2.0, active=False)])
        reload = asyncio.ensure_future(opt_outs.load(store))
        await asyncio.sleep(0)  # the reload has started reading
        opt_outs.apply(OptOut("a", "819011112222", 2.0, active=False))
        opt_outs.apply(OptOut("b", "819033334444", 2.0))
        await reload
        assert not opt_outs.blocked("a", "819011112222")
        assert opt_outs.blocked("b", "819033334444")  # not in the store yet, kept anyway
        assert len(opt_outs) == 1

    with store_backend(backend, tmp_path) as item:
        item.run(body)
