"""A callback host checked against the deny list for what it resolves to at delivery time: a
name can point anywhere, whatever it pointed to when the URL was accepted."""

import asyncio
import socket

from smsgate.domain.callback_urls import DenyList
from smsgate.domain.errors import GatewayError


async def check_host(deny: DenyList, host: str, port: int) -> None:
    """Raise GatewayError("invalid_callback_url") if `host` is or resolves to a denied
    address."""
    if not deny.networks:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise GatewayError("invalid_callback_url", f"{host}: {error}") from None
    denied = [str(info[4][0]) for info in infos if deny.denies(str(info[4][0]))]
    if denied:
        raise GatewayError("invalid_callback_url", f"{host} is in a denied range ({denied[0]})")
