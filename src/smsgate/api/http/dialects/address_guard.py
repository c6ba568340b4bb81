"""Addresses that send many refused requests are refused for a while, as SMSC.ru blocks an IP
"because of frequent errors in requests": a bad client loop costs a counter, not a password
check or a database read per request."""

from typing import Final

from smsgate.domain.errors import GatewayError
from smsgate.engine.clock import Clock

LIMIT: Final = 30  # refused requests from one address within WINDOW before it is blocked
WINDOW: Final = 60.0  # seconds; a blocked address is refused until its window ends
_MAX_ADDRESSES: Final = 100_000


class AddressGuard:
    def __init__(self, clock: Clock, limit: int = LIMIT, window: float = WINDOW) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._refused: dict[str, tuple[float, int]] = {}  # address -> (window start, count)

    def check(self, address: str | None) -> None:
        """GatewayError("address_blocked") while `address` is over its limit."""
        if address is None:
            return
        found = self._refused.get(address)
        if found is None:
            return
        start, count = found
        if self.clock.time() - start >= self.window:
            del self._refused[address]
        elif count >= self.limit:
            raise GatewayError("address_blocked", f"{count} refused requests from {address}")

    def refused(self, address: str | None) -> None:
        """Count a refused request from `address`."""
        if address is None:
            return
        now = self.clock.time()
        start, count = self._refused.get(address, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        if len(self._refused) >= _MAX_ADDRESSES and address not in self._refused:
            self._refused.clear()  # bounded: forgetting old counts errs on the lenient side
        self._refused[address] = (start, count + 1)
