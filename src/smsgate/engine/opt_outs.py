"""The numbers that opted out of each account's messages, in memory so that accepting a message
checks it in O(1).

Loaded from the store at start; this node's opt-outs are applied once committed; a reload now
and then brings those committed by other nodes sharing the database.
"""

from smsgate.domain.inbound import OptOut
from smsgate.store import Store


class OptOutList:
    def __init__(self) -> None:
        self._pairs: set[tuple[str, str]] = set()
        self._loading: list[OptOut] | None = None  # applied while a reload reads the store

    def __len__(self) -> int:
        return len(self._pairs)

    def blocked(self, account_id: str, number: str) -> bool:
        """Whether `number` (E.164 digits) opted out of the account's messages."""
        return (account_id, number) in self._pairs

    def apply(self, change: OptOut) -> None:
        """A committed opt-out (or opt-in)."""
        if self._loading is not None:
            self._loading.append(change)
        pair = (change.account_id, change.number)
        if change.active:
            self._pairs.add(pair)
        else:
            self._pairs.discard(pair)

    async def load(self, store: Store) -> None:
        """Replace the list with the store's; what this node commits meanwhile is kept."""
        late: list[OptOut] = []
        self._loading = late
        try:
            pairs = {(o.account_id, o.number) for o in await store.opt_outs()}
        finally:
            self._loading = None
        self._pairs = pairs
        for change in late:
            self.apply(change)
