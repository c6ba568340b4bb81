"""Source address allow-lists: the addresses and networks an account's requests may come from."""

import functools
import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=1024)
def parse_allow_list(allow: str) -> tuple[Network, ...]:
    """The networks of a space- or comma-separated list; a bare address is a /32 or /128.
    ValueError names the first entry that is neither."""
    networks = []
    for entry in allow.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {entry!r}") from None
    return tuple(networks)


def address_allowed(allow: str | None, address: str | None) -> bool:
    """True when `address` may be used: no list (None or blank) allows any address; a list
    allows only the addresses in its networks (an IPv4-mapped IPv6 address as its IPv4)."""
    if allow is None or not allow.strip():
        return True
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    try:
        networks = parse_allow_list(allow)
    except ValueError:
        return False  # a broken list allows nothing rather than everything
    return any(ip.version == net.version and ip in net for net in networks)
