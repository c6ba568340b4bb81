"""Addresses that send many refused requests are refused for a while, as SMSC.ru blocks an IP
"because of frequent errors in requests": a bad client loop or a password guesser costs a
counter, not a password check or a database read per request. An address blocked again soon
after is blocked twice as long each time, up to MAX_BLOCK."""

from dataclasses import dataclass
from typing import Final

from smsgate.domain.errors import GatewayError
from smsgate.engine.clock import Clock

LIMIT: Final = 30  # refused requests from one address within WINDOW before it is blocked
WINDOW: Final = 60.0  # seconds; the first block lasts until the window ends
MAX_BLOCK: Final = 3600.0  # seconds: the longest block after repeated ones
_MAX_ADDRESSES: Final = 100_000


@dataclass
class _Record:
    start: float  # of the current window, or of the block
    count: int
    blocks: int = 0  # blocks in a row: each doubles the next one
    until: float = 0.0  # blocked until then


class AddressGuard:
    def __init__(self, clock: Clock, limit: int = LIMIT, window: float = WINDOW) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._records: dict[str, _Record] = {}

    def check(self, address: str | None) -> None:
        """GatewayError("address_blocked") while `address` is blocked."""
        if address is None:
            return
        record = self._records.get(address)
        if record is None:
            return
        now = self.clock.time()
        if now < record.until:
            raise GatewayError(
                "address_blocked",
                f"{record.count} refused requests from {address}; retry in "
                f"{int(record.until - now) + 1} s",
            )
        if record.until == 0.0 and now - record.start >= self.window:
            del self._records[address]
        elif record.until and now - record.until >= self.block(record.blocks - 1):
            del self._records[address]  # quiet for as long as its last block: forgiven

    def refused(self, address: str | None) -> None:
        """Count a refused request from `address`; at the limit it is blocked."""
        if address is None:
            return
        now = self.clock.time()
        record = self._records.get(address)
        if record is None:
            if len(self._records) >= _MAX_ADDRESSES:
                self._records.clear()  # bounded: forgetting old counts errs on the lenient side
            record = self._records[address] = _Record(now, 0)
        elif now - record.start >= self.window and now >= record.until:
            record.start, record.count = now, 0
        record.count += 1
        if record.count >= self.limit and now >= record.until:
            record.until = now + self.block(record.blocks)
            record.blocks += 1
            record.start, record.count = now, 0

    def block(self, blocks: int) -> float:
        """How long a block lasts after `blocks` earlier ones in a row."""
        return float(min(self.window * 2 ** min(blocks, 20), max(MAX_BLOCK, self.window)))
