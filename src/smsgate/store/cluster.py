"""What nodes sharing one database keep there: their heartbeats, leases and message ownership.

A node registers with a heartbeat, renews it, and holds leases (an upstream bind) that expire
unless renewed. Unfinished messages have an owner, the node whose memory queues them; a node
claims those whose owner is gone or dead. Nodes wake each other with notifications.

This base is the single process's: one SQLite file has one process, which holds every lease
and owns every message, and its notifications stay within the process. The PostgreSQL backend
overrides each method (`smsgate.store.postgres.cluster`).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from smsgate.domain.message import Message
from smsgate.store.paging import MAX_UNFINISHED_PAGE, check_limit
from smsgate.store.reads.primitives import Primitives

NOTIFY_CHANNEL: Final = "smsgate"  # the one LISTEN/NOTIFY channel; payloads say what for

Listener = Callable[[str], None]  # called with a notification's payload, on the event loop


@dataclass(frozen=True, slots=True)
class NodeRecord:
    id: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float
    state: str  # starting, ready, draining or gone


class ClusterStore(Primitives):
    """Nodes, leases and ownership: a single process's trivial answers."""

    node_id: str | None = None  # the node the rows this store inserts name as their owner
    fenced: bool = False  # writes refused: the node is cut off and its work may be another's
    _listeners: list[Listener]

    async def unfinished_messages(self, limit: int, after_id: str | None = None) -> list[Message]:
        raise NotImplementedError  # MessageReads'

    def fence(self) -> None:
        """Refuse writes from now on, and abort the one being committed, until `unfence`."""
        self.fenced = True

    def unfence(self) -> None:
        self.fenced = False

    async def register_node(self, node_id: str, host: str, pid: int, state: str) -> float:
        """Record the node as alive in `state`; returns the database's time."""
        return 0.0

    async def heartbeat(self, node_id: str, state: str) -> bool:
        """Renew the node's heartbeat (and state); False if its row is gone (a node that was
        declared gone must register again)."""
        return True

    async def live_nodes(self, ttl: float) -> list[NodeRecord]:
        """Nodes not gone whose heartbeat is younger than `ttl` seconds."""
        return []

    async def acquire_lease(self, name: str, node_id: str, ttl: float) -> bool:
        """Take or renew the lease `name` for `ttl` seconds: True if this node holds it now
        (it was free, expired or already this node's)."""
        return True

    async def release_lease(self, name: str, node_id: str) -> None:
        """Give the lease up at once, if this node holds it."""

    async def lease_holders(self, prefix: str) -> dict[str, str]:
        """Unexpired leases whose name starts with `prefix`: name -> node id."""
        return {}

    async def release_outbox_claims(self, node_id: str, ttl: float, now: float) -> int:
        """Make the pending outbox items that gone or dead nodes (no heartbeat for `ttl`
        seconds) had claimed due at `now`, rather than at the end of their claims' lease; how
        many."""
        return 0

    async def claim_messages(
        self, node_id: str, ttl: float, limit: int, after_id: str | None, *, own: bool
    ) -> list[Message]:
        """Unfinished messages made this node's, in id order after `after_id`: those without
        an owner or whose owner is gone or dead (no heartbeat for `ttl` seconds), and with
        `own` those the node owns already (a start, or a node fenced off for a while)."""
        if not own:
            return []  # nothing else ever owns a message here
        check_limit(limit, MAX_UNFINISHED_PAGE)
        return await self.unfinished_messages(limit, after_id)

    async def hand_over(self, message_ids: Sequence[str], from_node: str, to_node: str) -> int:
        """Put unfinished messages of `from_node` in the inbox of `to_node` (it holds the
        bind); how many moved (not those finished or not `from_node`'s)."""
        return 0

    async def take_inbox(self, node_id: str, limit: int) -> list[Message]:
        """The messages handed over to the node and not taken yet, made its own."""
        return []

    async def release_messages(self, node_id: str) -> int:
        """Unfinished messages of the node left without an owner, for others to claim."""
        return 0

    async def messages_owned(self, node_id: str) -> int:
        """How many unfinished messages the node owns."""
        return 0

    def listen(self, listener: Listener) -> None:
        """Call `listener` with every notification (from this node too)."""
        if not hasattr(self, "_listeners"):
            self._listeners = []
        self._listeners.append(listener)

    async def notify(self, payload: str) -> None:
        """Tell every listening node (here: this process's listeners) `payload`."""
        for listener in list(getattr(self, "_listeners", ())):
            listener(payload)
