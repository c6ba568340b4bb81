"""Bind requests: the account behind a system_id and password, and the answer to send."""

import asyncio

from smsgate.domain.account import Account, check_password
from smsgate.domain.allow_list import address_allowed
from smsgate.engine.queries import Queries
from smsgate.smpp.constants import CommandStatus, InterfaceVersion
from smsgate.smpp.pdu import Bind, BindResp
from smsgate.smpp.tlv import Tag

S = CommandStatus


class BindRefusedError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def authenticate(queries: Queries, pdu: Bind, address: str | None) -> Account:
    """The enabled account the bind names, bound from an address its allow-list admits;
    BindRefusedError with ESME_RINVSYSID, ESME_RINVPASWD or ESME_RBINDFAIL otherwise."""
    if not pdu.system_id:
        raise BindRefusedError(S.ESME_RINVSYSID, "empty system_id")
    account = await queries.account_by_system_id(pdu.system_id)
    if account is None or account.smpp_password_hash is None:
        raise BindRefusedError(S.ESME_RINVSYSID, f"unknown system_id {pdu.system_id!r}")
    # before the password: an address outside the list cannot try passwords
    if not address_allowed(account.ip_allow, address):
        raise BindRefusedError(
            S.ESME_RBINDFAIL, f"{address} is not in the address allow-list of {pdu.system_id!r}"
        )
    # scrypt takes tens of milliseconds on purpose: off the event loop
    if not await asyncio.to_thread(check_password, pdu.password, account.smpp_password_hash):
        raise BindRefusedError(S.ESME_RINVPASWD, f"wrong password for {pdu.system_id!r}")
    if not account.enabled:
        raise BindRefusedError(S.ESME_RBINDFAIL, f"account of {pdu.system_id!r} is disabled")
    return account


def bind_response(pdu: Bind, system_id: str) -> BindResp:
    """The successful bind_resp; from 3.4 on it names the version we speak with the client."""
    response = pdu.response(0, system_id=system_id)
    assert isinstance(response, BindResp)
    if pdu.interface_version >= InterfaceVersion.V34:
        response.tlvs[Tag.SC_INTERFACE_VERSION] = min(pdu.interface_version, InterfaceVersion.V50)
    return response
