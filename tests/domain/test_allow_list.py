"""Source address allow-lists."""

import re

import pytest

from smsgate.domain.allow_list import address_allowed, parse_allow_list


def test_no_list_allows_any_address() -> None:
    assert address_allowed(None, "198.51.100.7")
    assert address_allowed("  ", "198.51.100.7")
    assert address_allowed(None, None)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("192.0.2.1", True),
        ("192.0.2.255", True),
        ("192.0.3.1", False),
        ("203.0.113.9", True),
        ("203.0.113.10", False),
        ("::ffff:192.0.2.8", True),
        ("2001:db8::5", True),
        ("2001:db9::5", False),
        ("not-an-address", False),
        (None, False),
    ],
)
def test_list_allows_its_networks_only(address: str | None, allowed: bool) -> None:
    assert address_allowed("192.0.2.0/24, 203.0.113.9 2001:db8::/32", address) is allowed


def test_a_broken_list_allows_nothing_and_names_the_entry() -> None:
    with pytest.raises(ValueError, match=re.escape("'10.0.0.300'")):
        parse_allow_list("10.0.0.0/8 10.0.0.300")
    assert not address_allowed("10.0.0.300", "10.0.0.1")
