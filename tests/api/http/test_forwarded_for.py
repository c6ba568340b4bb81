"""Every HTTP interface's address check believes X-Forwarded-For only from a configured proxy:
forged from loopback it changes nothing; from a proxy in http_trusted_proxies it names the
client."""

import asyncio
import base64
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from smsgate.api.http.forwarded import ForwardedFor
from tests.api.harness import Running, add_account, running_gateway

CLIENT = "198.51.100.7"  # the account's only allowed address
FORGED = {"X-Forwarded-For": CLIENT}
BOT = "bot-fenced"

Answer = tuple[int, bytes]
Ask = Callable[[Running, str, dict[str, str]], Awaitable[Answer]]


async def native(gw: Running, key: str, headers: dict[str, str]) -> Answer:
    answer = await gw.client.get(
        "/v1/messages", headers={"Authorization": f"Bearer {key}", **headers}
    )
    return answer.status_code, answer.content


async def native_send(gw: Running, key: str, headers: dict[str, str]) -> Answer:
    answer = await gw.client.post(
        "/v1/messages",
        json={"to": "+819012345678", "text": "hi"},
        headers={"Authorization": f"Bearer {key}", **headers},
    )
    return answer.status_code, answer.content


async def reach(gw: Running, key: str, headers: dict[str, str]) -> Answer:
    sent = {"ApiUser": "fenced", "ApiKey": key, **headers}
    answer = await gw.client.get("/rest/messaging/v1/list", headers=sent)
    return answer.status_code, answer.content


async def p5(gw: Running, key: str, headers: dict[str, str]) -> Answer:
    form = {"token": key, "clientId": "fenced", "deliveryId": "1"}
    answer = await gw.client.post("/p5/api/status.json", data=form, headers=headers)
    return answer.status_code, answer.content


async def kddi(gw: Running, key: str, headers: dict[str, str]) -> Answer:
    token = base64.b64encode(f"fenced:{key}".encode()).decode()
    path = f"/kddi/v1/fallback/rcs/bot/v1/{BOT}/messages/{'0' * 32}/status"
    answer = await gw.client.get(path, headers={"Authorization": f"Basic {token}", **headers})
    return answer.status_code, answer.content


async def smsc_ru(gw: Running, key: str, headers: dict[str, str]) -> Answer:
    answer = await gw.client.get(f"/sys/balance.php?apikey={key}&fmt=3", headers=headers)
    # its answers are all 200: the body tells a refusal (error_code 2) from a balance
    return answer.status_code, answer.content


INTERFACES: dict[str, Ask] = {
    "native": native,
    "native_send": native_send,
    "reach": reach,
    "p5": p5,
    "kddi": kddi,
    "smsc_ru": smsc_ru,
}


def answers(tmp_path: Path, ask: Ask, proxies: str) -> tuple[Answer, Answer]:
    """(the answer without the header, the answer with X-Forwarded-For naming CLIENT), both
    from loopback, with `proxies` as http_trusted_proxies."""

    async def main() -> tuple[Answer, Answer]:
        db = str(tmp_path / "gateway.db")
        async with running_gateway(db, http_trusted_proxies=proxies) as gw:
            key = await add_account(gw.app, "fenced", ip_allow=CLIENT, bot_id=BOT)
            return await ask(gw, key, {}), await ask(gw, key, FORGED)

    return asyncio.run(main())


@pytest.mark.parametrize("interface", sorted(INTERFACES))
def test_a_forged_header_from_loopback_is_ignored(tmp_path: Path, interface: str) -> None:
    plain, forged = answers(tmp_path, INTERFACES[interface], proxies="")
    assert forged == plain  # refused alike: the peer 127.0.0.1 is outside the allow-list
    if interface in ("native", "native_send", "kddi"):
        assert plain[0] == 403
    if interface == "smsc_ru":
        assert b'"error_code":2' in plain[1].replace(b" ", b"")


@pytest.mark.parametrize("interface", sorted(INTERFACES))
def test_the_header_from_a_configured_proxy_names_the_client(
    tmp_path: Path, interface: str
) -> None:
    plain, forwarded = answers(tmp_path, INTERFACES[interface], proxies="127.0.0.1")
    assert forwarded != plain  # the proxy's own address is still refused, its client is not
    assert forwarded[0] < 500
    if interface in ("native", "kddi"):
        assert plain[0] == 403 and forwarded[0] in (200, 404)
    if interface == "native_send":
        assert plain[0] == 403 and forwarded[0] == 202


def test_the_client_is_the_first_address_from_the_right_that_is_not_a_proxy() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError

    forwarded = ForwardedFor(app, "10.0.0.0/8 ::1")

    def client(peer: str, *values: str) -> str:
        return forwarded.client_address(peer, [(b"x-forwarded-for", v.encode()) for v in values])

    # what the client wrote itself (the left) is not believed past the first non-proxy
    assert client("10.0.0.1", "6.6.6.6, 198.51.100.7") == "198.51.100.7"
    assert client("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2") == "198.51.100.7"
    assert client("10.0.0.1", "6.6.6.6", "198.51.100.7") == "198.51.100.7"
    assert client("198.51.100.9", "6.6.6.6") == "198.51.100.9"  # not a proxy: the peer
    assert client("10.0.0.1") == "10.0.0.1"  # a proxy without the header: itself
    assert client("10.0.0.1", "") == "10.0.0.1"


@pytest.mark.parametrize(
    ("peer", "said", "scheme"),
    [
        ("10.0.0.1", [b"https"], "https"),
        ("10.0.0.1", [b"http, https"], "https"),  # the nearest hop's
        ("10.0.0.1", [b"gopher"], None),
        ("10.0.0.1", [], None),
        ("198.51.100.7", [b"https"], None),  # not a configured proxy: anyone can write it
    ],
)
def test_the_forwarded_scheme_is_believed_from_a_configured_proxy_only(
    peer: str, said: list[bytes], scheme: str | None
) -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError

    forwarded = ForwardedFor(app, "10.0.0.0/8")
    headers = [(b"x-forwarded-proto", value) for value in said]
    assert forwarded.scheme(peer, headers) == scheme
