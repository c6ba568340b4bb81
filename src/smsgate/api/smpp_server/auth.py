"""Bind requests: the account behind a system_id and password, and the answer to send.

An unknown system_id, a wrong password, an address outside the account's allow-list and a
disabled account are answered alike (the catalog's `unauthorized`: ESME_RBINDFAIL) and take
the same time (a password hash is checked for each), so a bind tells a stranger nothing about
which logins exist. The reason is logged for the operator.
"""

import asyncio
import functools
import secrets

from smsgate.domain.account import Account, check_password, hash_password
from smsgate.domain.allow_list import address_allowed
from smsgate.domain.errors import CATALOG
from smsgate.engine.queries import Queries
from smsgate.smpp.constants import CommandStatus, InterfaceVersion
from smsgate.smpp.pdu import Bind, BindResp
from smsgate.smpp.tlv import Tag

S = CommandStatus
UNAUTHORIZED = CATALOG["unauthorized"].smpp_status


class BindRefusedError(Exception):
    def __init__(self, status: int, reason: str, *, credentials: bool = False) -> None:
        """`credentials`: refused for its login or password (counted by the bind limits)."""
        super().__init__(reason)
        self.status = status
        self.credentials = credentials


def _unauthorized(reason: str) -> BindRefusedError:
    return BindRefusedError(UNAUTHORIZED, reason, credentials=True)


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, checked for unknown logins to take a known one's time."""
    return hash_password(secrets.token_hex(16))


async def authenticate(queries: Queries, pdu: Bind, address: str | None) -> Account:
    """The enabled account the bind names, bound from an address its allow-list admits;
    BindRefusedError (ESME_RBINDFAIL) otherwise."""
    account = await queries.account_by_system_id(pdu.system_id) if pdu.system_id else None
    stored = account.smpp_password_hash if account is not None else None
    # an address outside the list cannot try passwords: its check is against the dummy hash
    allowed = account is None or address_allowed(account.ip_allow, address)
    checked = stored if stored is not None and allowed else _dummy_hash()
    # scrypt takes tens of milliseconds on purpose: off the event loop
    matches = await asyncio.to_thread(check_password, pdu.password, checked)
    if account is None or stored is None:
        raise _unauthorized(f"unknown system_id {pdu.system_id!r}")
    if not allowed:
        raise _unauthorized(f"{address} is not in the address allow-list of {pdu.system_id!r}")
    if not matches:
        raise _unauthorized(f"wrong password for {pdu.system_id!r}")
    if not account.enabled:
        raise _unauthorized(f"account of {pdu.system_id!r} is disabled")
    return account


def bind_response(pdu: Bind, system_id: str) -> BindResp:
    """The successful bind_resp; from 3.4 on it names the version we speak with the client."""
    response = pdu.response(0, system_id=system_id)
    assert isinstance(response, BindResp)
    if pdu.interface_version >= InterfaceVersion.V34:
        response.tlvs[Tag.SC_INTERFACE_VERSION] = min(pdu.interface_version, InterfaceVersion.V50)
    return response
