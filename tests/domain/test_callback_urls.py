"""Callback URL checks and the deny list of private ranges."""

import pytest

from smsgate.domain.callback_urls import DenyList, check_url
from smsgate.domain.errors import GatewayError


@pytest.mark.parametrize(
    "url",
    [
        "https://client.example/cb",
        "http://client.example:8080/cb?x=1",
        "https://203.0.113.7/status",
        "https://[2001:db8::1]/status",
    ],
)
def test_acceptable_urls(url: str) -> None:
    assert check_url(url, DenyList()) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://client.example/cb", "scheme"),
        ("client.example/cb", "scheme"),
        ("https:///cb", "no host"),
        ("https://user:pw@client.example/cb", "credentials"),
        ("https://client.example/c b", "white space"),
        ("https://client.example:99999/cb", "out of range"),
        ("https://127.0.0.1/cb", "denied"),
        ("https://10.1.2.3/cb", "denied"),
        ("https://192.168.0.10:8443/cb", "denied"),
        ("https://169.254.169.254/latest/meta-data", "denied"),
        ("https://[::1]/cb", "denied"),
        ("https://[fd00::5]/cb", "denied"),
        ("https://localhost/cb", "denied"),
        ("https://client.example/" + "x" * 2000, "longer"),
    ],
)
def test_refused_urls(url: str, why: str) -> None:
    with pytest.raises(GatewayError, match=why) as caught:
        check_url(url, DenyList())
    assert caught.value.code == "invalid_callback_url" and caught.value.http_status == 422


def test_an_empty_deny_list_lets_loopback_through() -> None:
    assert check_url("http://127.0.0.1:9000/cb", DenyList([])) == "http://127.0.0.1:9000/cb"
    assert check_url("http://localhost:9000/cb", DenyList([])) == "http://localhost:9000/cb"


def test_a_bad_deny_list_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="callback deny list"):
        DenyList(["10.0.0.0/33"])
