"""Which new connections the SMPP server takes: at most `per_address` open connections from one
remote address and `unbound` connections not bound yet (server-wide). A connection past either
limit is closed at once, before it can send a PDU; bound customers are never refused by the
unbound limit, so a flood of idle sockets cannot keep them out."""

from dataclasses import dataclass
from typing import Any

from smsgate.log_limits import LogLimiter


@dataclass(frozen=True)
class AdmissionLimits:
    per_address: int | None = None
    unbound: int | None = None


def peer_address(peername: Any) -> str | None:
    return peername[0] if isinstance(peername, tuple) and peername else None


class ConnectionAdmission:
    def __init__(self, limits: AdmissionLimits, problems: LogLimiter) -> None:
        self.limits = limits
        self.problems = problems
        self._by_address: dict[str | None, int] = {}
        self._unbound: set[int] = set()  # id() of the connections admitted and not bound
        self._admitted: set[int] = set()

    def admit(self, connection_id: int, peername: Any) -> bool:
        """Whether a new connection is taken; counted if so (`closed` uncounts it)."""
        address = peer_address(peername)
        limits = self.limits
        open_here = self._by_address.get(address, 0)
        if limits.per_address is not None and open_here >= limits.per_address:
            self.problems.note(
                "connections refused: per-address limit",
                f"{address} has {open_here} open",
            )
            return False
        if limits.unbound is not None and len(self._unbound) >= limits.unbound:
            self.problems.note(
                "connections refused: unbound limit", f"{len(self._unbound)} unbound; {address}"
            )
            return False
        self._by_address[address] = open_here + 1
        self._unbound.add(connection_id)
        self._admitted.add(connection_id)
        return True

    def bound(self, connection_id: int) -> None:
        self._unbound.discard(connection_id)

    def closed(self, connection_id: int, peername: Any) -> None:
        if connection_id not in self._admitted:
            return
        self._admitted.discard(connection_id)
        self._unbound.discard(connection_id)
        address = peer_address(peername)
        left = self._by_address.get(address, 1) - 1
        if left > 0:
            self._by_address[address] = left
        else:
            self._by_address.pop(address, None)

    @property
    def unbound_count(self) -> int:
        return len(self._unbound)
