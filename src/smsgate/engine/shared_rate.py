"""Per-account rates every node enforces together (PostgreSQL).

The store holds one token bucket per account (`rate_buckets`); a node takes a slice of it
(`SLICE` seconds of the rate, or what a call needs if more) with one UPDATE and spends it from
memory, so a busy account costs about ten statements a second per node, not one per message.
The cluster as a whole never lets in more than the bucket grants, plus at most one slice per
node held unspent from before: a node's unspent slice stays its own until used. When the
bucket runs dry the node asks again only a slice's time later, so refused requests do not turn
into a statement each.

Why slices from the database: a per-node share (rate / nodes) is wrong as soon as traffic is
uneven (one node gets all of an account's binds); a shared store other than the database
(Redis) would be one more server to run and keep available, for about ten small updates per
second per busy account, which PostgreSQL takes in its stride (docs/cluster-state.md).
"""

import asyncio
import math
from typing import Final

from smsgate.engine.clock import Clock
from smsgate.store import Store

SLICE: Final = 0.1  # seconds of an account's rate taken from the store at once


class SharedRates:
    def __init__(self, store: Store, clock: Clock, slice_seconds: float = SLICE) -> None:
        self.store = store
        self.clock = clock
        self.slice = slice_seconds
        self.grants = 0  # statements run against the store's buckets
        self._local: dict[str, float] = {}  # tokens granted to this node, not yet spent
        self._dry_until: dict[str, float] = {}  # the bucket was empty: not asked before then
        self._asking: dict[str, asyncio.Lock] = {}  # per account: a grant is being asked

    async def take_up_to(self, key: str, rate: float, count: int) -> int:
        """Let in up to `count` messages of `key` (`account:<id>`, `connector:<id>`) at `rate`
        per second across every node; how many."""
        if self._local.get(key, 0.0) < count and self._may_ask(key):
            # one grant at a time per account: the calls waiting meanwhile mostly find
            # enough in the slice it brings, instead of each running a statement
            async with self._asking.setdefault(key, asyncio.Lock()):
                local = self._local.get(key, 0.0)
                if local < count and self._may_ask(key):
                    now = self.clock.time()
                    want = max(count - local, rate * self.slice)
                    burst = max(rate, 1.0)  # one second's worth, as the local bucket holds
                    granted = await self.store.take_tokens(key, rate, burst, want, now)
                    self.grants += 1
                    if granted < want:
                        self._dry_until[key] = now + self.slice
                    self._local[key] = self._local.get(key, 0.0) + granted
        local = self._local.get(key, 0.0)
        taken = min(count, int(local + 1e-9))  # a grant of 0.1 s at 10/s is 1.0000000001
        self._local[key] = local - taken
        return taken

    def _may_ask(self, key: str) -> bool:
        return self.clock.time() >= self._dry_until.get(key, -math.inf)
