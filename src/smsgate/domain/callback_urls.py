"""Callback URLs: checked when a message or account names one; the operator's deny list their
addresses are checked against (at acceptance here, and again before each delivery by the
callback channel, for what a host name resolves to then).

The deny list (private, loopback, link-local ... ranges by default) keeps customers from making
the gateway call into the operator's own network. A host name is checked for what it resolves
to at delivery time as well, since a name can point anywhere; the embedded demo turns the list
off so that a receiver on the same machine works.
"""

import ipaddress
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

from smsgate.domain.errors import GatewayError

MAX_URL: Final = 2000
PRIVATE_NETWORKS: Final = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "fc00::/7",
    "fe80::/10",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class DenyList:
    def __init__(self, networks: Iterable[str] = PRIVATE_NETWORKS) -> None:
        try:
            self.networks: tuple[Network, ...] = tuple(
                ipaddress.ip_network(n, strict=False) for n in networks
            )
        except ValueError as error:
            raise ValueError(f"callback deny list: {error}") from None

    def denies(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in self.networks)


def check_url(url: str, deny: DenyList | None = None) -> str:
    """The URL if it can be a callback URL: http or https, a host name, no credentials, not a
    literal address in the deny list; else GatewayError("invalid_callback_url")."""
    if len(url) > MAX_URL:
        raise GatewayError("invalid_callback_url", f"longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise GatewayError("invalid_callback_url", str(error)) from None
    if parts.scheme not in ("http", "https"):
        raise GatewayError("invalid_callback_url", "the scheme must be http or https")
    host = parts.hostname
    if not host:
        raise GatewayError("invalid_callback_url", "no host name")
    if parts.username is not None or parts.password is not None:
        raise GatewayError("invalid_callback_url", "credentials in the URL are not allowed")
    if any(c.isspace() for c in url):
        raise GatewayError("invalid_callback_url", "white space in the URL")
    if port == 0:
        raise GatewayError("invalid_callback_url", "port 0")
    if deny is not None and (deny.denies(host) or (deny.networks and host == "localhost")):
        raise GatewayError("invalid_callback_url", f"{host} is in a denied range")
    return url
