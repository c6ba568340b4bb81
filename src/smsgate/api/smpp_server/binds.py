"""Which customer connections are bound, per account, and the connection policy between them.

By default a login has one connection: a new bind replaces the old one, which is unbound
cleanly. With `MCONn` in system_type up to n binds live side by side; one more replaces the
oldest. Receipts and MO go to any bound receiver or transceiver of the account.
"""

from collections.abc import Iterator

from smsgate.api.smpp_server.options import BindOptions
from smsgate.smpp.pdu import BindReceiver, BindTransceiver
from smsgate.transport.smpp_connection import SmppConnection


def receives(connection: SmppConnection) -> bool:
    """Whether deliver_sm (receipts, MO) may go to this connection now."""
    return (
        connection.is_open
        and connection.session.is_bound
        and issubclass(connection.context.get("bind_type", object), BindReceiver | BindTransceiver)
    )


class BindRegistry:
    def __init__(self) -> None:
        self._by_account: dict[str, list[SmppConnection]] = {}

    def admit(
        self, account_id: str, connection: SmppConnection, options: BindOptions
    ) -> list[SmppConnection]:
        """Register a new bind; returns the older binds it replaces (to be unbound)."""
        binds = self._by_account.setdefault(account_id, [])
        binds[:] = [c for c in binds if c.is_open]
        excess = len(binds) + 1 - options.max_connections
        replaced = binds[:excess] if excess > 0 else []
        del binds[: len(replaced)]
        binds.append(connection)
        return replaced

    def remove(self, account_id: str, connection: SmppConnection) -> None:
        binds = self._by_account.get(account_id)
        if binds is not None and connection in binds:
            binds.remove(connection)
            if not binds:
                del self._by_account[account_id]

    def receivers(self, account_id: str) -> list[SmppConnection]:
        return [c for c in self._by_account.get(account_id, ()) if receives(c)]

    def accounts_with_receivers(self) -> Iterator[str]:
        for account_id, binds in list(self._by_account.items()):
            if any(receives(c) for c in binds):
                yield account_id

    def all(self) -> list[SmppConnection]:
        return [c for binds in self._by_account.values() for c in binds]
