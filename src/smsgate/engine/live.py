"""The messages the engine keeps in memory: a bounded cache of the store.

Over its limit the oldest messages leave memory, except those with a part in flight (its
answer is applied to the copy in memory) or a change not yet committed (the store is behind
memory); a message that waits for its receipt or its turn is read back from the store when it
is needed. `by_carrier_id` finds the part a channel's report names, for messages in memory
only: an entry leaves with its message (or when no report is expected any more), so the index
is as bounded as the messages are.
"""

from collections import OrderedDict
from collections.abc import Iterable
from typing import Final

from smsgate.domain.message import Message, Part
from smsgate.domain.status import FINAL, Status
from smsgate.engine.ports import PartKey
from smsgate.store import Store

_EVICTION_SCAN: Final = 16  # oldest messages looked at per insert when memory is over its limit
# channels that report a read after the delivery: a message delivered there keeps its index
# entries until that report (or until it leaves memory), so the report is matched in memory
READ_REPORTING: Final = frozenset({"rcs"})


def awaits_read(message: Message) -> bool:
    """Whether a report may still come for `message` although it is final: delivered on a
    channel whose read report follows."""
    return message.status is Status.DELIVERED and message.channel in READ_REPORTING


class LiveMessages:
    def __init__(self, store: Store, limit: int) -> None:
        self.store = store
        self.limit = limit
        self.messages: OrderedDict[str, Message] = OrderedDict()
        # messages with a write not yet committed, and how many: memory is ahead of the store
        self.uncommitted: dict[str, int] = {}
        self.by_carrier_id: dict[tuple[str, str], PartKey] = {}  # (connector, its id) -> part

    def __len__(self) -> int:
        return len(self.messages)

    def __getitem__(self, message_id: str) -> Message:
        return self.messages[message_id]

    def __contains__(self, message_id: object) -> bool:
        return message_id in self.messages

    def get(self, message_id: str) -> Message | None:
        return self.messages.get(message_id)

    def forget(self, message_id: str) -> None:
        message = self.messages.pop(message_id, None)
        if message is not None:
            self.unindex(message)

    def clear(self) -> None:
        """Forget every message (their writes under way still settle)."""
        self.messages.clear()
        self.by_carrier_id.clear()

    def remember(self, message: Message) -> None:
        live = self.messages
        live[message.id] = message
        live.move_to_end(message.id)
        for _ in range(_EVICTION_SCAN):
            if len(live) <= self.limit:
                break
            old_id, old = next(iter(live.items()))
            if old is message:
                break  # everything older stays for now: never the one just remembered
            if old.status is Status.SENDING or old_id in self.uncommitted:
                live.move_to_end(old_id)
            else:
                del live[old_id]
                self.unindex(old)  # a later report is matched from the store

    async def load(self, message_id: str) -> Message | None:
        """The message, from memory or else read back from the store (and remembered while
        it is not final)."""
        message = self.messages.get(message_id)
        if message is not None:
            return message
        stored = await self.store.get_message(message_id)
        message = self.messages.get(message_id) or stored  # it may have come back meanwhile
        if message is not None and message is stored and message.status not in FINAL:
            self.remember(message)
        return message

    # -- writes in progress --------------------------------------------------------------------

    def writing(self, message_id: str) -> None:
        self.uncommitted[message_id] = self.uncommitted.get(message_id, 0) + 1

    def written(self, message_id: str) -> None:
        left = self.uncommitted.pop(message_id) - 1
        if left:
            self.uncommitted[message_id] = left

    # -- parts by the channel's id -------------------------------------------------------------

    def index(self, connector_id: str, carrier_id: str, key: PartKey) -> None:
        self.by_carrier_id[(connector_id, carrier_id)] = key

    def unindex(self, message: Message) -> None:
        """Drop the entries of `message`'s parts (not another message's under the same id)."""
        index = self.by_carrier_id
        for p in message.parts:
            if p.upstream_id and p.connector_id:
                entry = (p.connector_id, p.upstream_id)
                key = index.get(entry)
                if key is not None and key[0] == message.id:
                    del index[entry]

    def part(self, connector_id: str, carrier_ids: Iterable[str]) -> tuple[Message, Part] | None:
        """The part in memory that a report names under any of `carrier_ids`."""
        for candidate in carrier_ids:
            key = self.by_carrier_id.get((connector_id, candidate))
            if key is not None:
                message = self.messages.get(key[0])
                if message is not None:
                    return message, message.parts[key[1] - 1]
        return None
