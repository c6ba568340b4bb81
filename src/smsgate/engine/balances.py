"""Prepaid balances, kept in memory so that accepting a message costs no store round trip.

Accepting a message takes its price off the account's balance here, at once (the event loop
runs one acceptance at a time, so concurrent requests can never take the same money twice), and
the change goes to the store in the same transaction as the message. A message that fails
before reaching a carrier gives its price back the same way. Accounts with no stored balance
are postpaid and never refused.

The store is the authority: its CHECK refuses a transaction that would take a balance below
zero (several nodes, or a stale copy here), and `load` re-reads the stored amounts (after a
top-up by another process) adding what this process has written but not yet seen committed.
"""

from collections.abc import Mapping


class Balances:
    def __init__(self) -> None:
        self._available: dict[str, int] = {}  # micros, for prepaid accounts only
        self._in_flight: dict[str, int] = {}  # deltas written, not yet committed or failed
        self.loaded_at = float("-inf")  # the clock's time of the last load

    def load(self, stored: Mapping[str, int], at: float) -> None:
        """The committed amounts, as just read from the store."""
        self._available = {
            account_id: amount + self._in_flight.get(account_id, 0)
            for account_id, amount in stored.items()
        }
        self.loaded_at = at

    def prepaid(self, account_id: str) -> bool:
        return account_id in self._available

    def available(self, account_id: str) -> int | None:
        """Micros this node may still spend; None for a postpaid account."""
        return self._available.get(account_id)

    def take(self, account_id: str, micros: int) -> bool:
        """Reserve `micros`; False (and nothing taken) when the balance does not cover them.
        Settle the reservation with `settled(account_id, -micros, committed)`."""
        left = self._available.get(account_id)
        if left is None:
            return True
        if micros > left:
            return False
        self._available[account_id] = left - micros
        self._in_flight[account_id] = self._in_flight.get(account_id, 0) - micros
        return True

    def give_back(self, account_id: str, micros: int) -> None:
        """Return a reservation to a balance; settle it with `settled(account_id, micros, ...)`
        once the change is written."""
        if account_id in self._available:
            self._available[account_id] += micros
            self._in_flight[account_id] = self._in_flight.get(account_id, 0) + micros

    def settled(self, account_id: str, delta: int, committed: bool) -> None:
        """The store committed the change of `delta` micros, or it failed (then it is undone
        here too)."""
        left = self._in_flight.get(account_id, 0) - delta
        if left:
            self._in_flight[account_id] = left
        else:
            self._in_flight.pop(account_id, None)
        if not committed and account_id in self._available:
            self._available[account_id] -= delta
