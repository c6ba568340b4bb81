"""Several API keys per account over real HTTP: every interface that takes a key (the native
API, Reach, p5, SMSC.ru, KDDI's Basic auth and its +message tokens) takes any live key of the
account; a key revoked on this node is refused from the next request (the key cache dropped),
and the account's other keys go on working."""

import asyncio
import base64
import itertools
from dataclasses import replace
from pathlib import Path

import httpx

from smsgate.domain.account import hash_api_key
from smsgate.engine.gateway import Gateway
from tests.api.dialects.kddi_rcs import BOT, KddiGateway, kddi_gateway
from tests.api.harness import Running, running_gateway
from tests.fixtures.kddi_samples import sample

TIMEOUT = 30.0
KDDI_SMS = {
    "X-Plusmsg-mkn-Authorization": "Bearer smsonly",
    "X-Plusmsg-tmt-Authorization": "Bearer smsonly",
    "X-Plusmsg-gmp-Authorization": "Bearer smsonly",
    "X-Fallback": "2",
}
_serial = itertools.count()


async def answers(gw: Running, account_id: str, key: str) -> dict[str, object]:
    """What each interface answers a send (or a read) made with `key`."""
    client = gw.client
    native = await client.post(
        "/v1/messages",
        json={"to": "+819012345678", "text": f"native {next(_serial)}"},
        headers={"Authorization": f"Bearer {key}"},
    )
    reach = await client.get("/rest/messaging/v1/list", headers={"ApiUser": "a", "ApiKey": key})
    p5 = await client.post(
        "/p5/api/mt.json",
        data={
            "token": key,
            "clientId": "a",
            "smsCode": "12345",
            "phoneNumber": "09012345678",
            "message": f"p5 {next(_serial)}",
        },
    )
    smsc = await client.get(f"/sys/balance.php?apikey={key}&fmt=3")
    basic = base64.b64encode(f"{account_id}:{key}".encode()).decode()
    kddi = await client.post(
        f"/kddi/v1/fallback/rcs/bot/v1/{BOT}/messages",
        json=sample("3.1").body,
        headers={**KDDI_SMS, "Authorization": f"Basic {basic}"},
    )
    return {
        "native": native.status_code,
        "reach": reach.status_code,
        "p5": p5.json()["responseCode"],
        "smsc": smsc.json().get("error_code", 0),
        "kddi": kddi.status_code,
    }


ACCEPTED = {"native": 202, "reach": 200, "p5": 0, "smsc": 0, "kddi": 202}
REFUSED = {"native": 401, "reach": 401, "p5": 110, "smsc": 2, "kddi": 401}


def test_two_keys_both_send_and_a_revoked_one_is_refused_at_once(tmp_path: Path) -> None:
    async def main() -> None:
        async with asyncio.timeout(TIMEOUT), running_gateway(str(tmp_path / "k.db")) as gw:
            gateway, store = gw.app.gateway, gw.app.store
            assert isinstance(gateway, Gateway) and store is not None
            account = await store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
            assert account is not None
            await gateway.admin.update_account(replace(account, bot_id=BOT))
            first = gw.keys["a"]
            deploy, deploy_secret = await gateway.admin.add_api_key(account.id, "deploy")
            _, spare_secret = await gateway.admin.add_api_key(account.id)

            for key in (first, deploy_secret, spare_secret):
                assert await answers(gw, account.id, key) == ACCEPTED
            # every key is in the key cache now: the revocation must drop it
            await gateway.admin.revoke_account_key(account.id, deploy.id)
            assert await answers(gw, account.id, deploy_secret) == REFUSED
            for key in (first, spare_secret):
                assert await answers(gw, account.id, key) == ACCEPTED

    asyncio.run(main())


def test_a_plus_message_token_is_any_live_key_of_the_account(tmp_path: Path) -> None:
    """The X-Plusmsg tokens of a +message send: another key of the account passes, another
    account's key or a revoked one is refused (401)."""

    async def main() -> None:
        async with asyncio.timeout(TIMEOUT), kddi_gateway(str(tmp_path / "rcs.db")) as kddi:
            gateway = kddi.gw.app.gateway
            assert gateway is not None
            text = sample("3.2")
            added, secret = await gateway.admin.add_api_key(kddi.account.id, "rcs")
            passed = await send(kddi, secret)
            assert passed.status_code == 202, passed.text
            others = await send(kddi, kddi.gw.keys["b"])
            assert others.status_code == 401 and "not this account's" in others.text
            await gateway.admin.revoke_account_key(kddi.account.id, added.id)
            revoked = await send(kddi, secret)
            assert revoked.status_code == 401 and "not this account's" in revoked.text
            assert (await kddi.replay(text)).status_code == 202  # the first key

    asyncio.run(main())


async def send(kddi: KddiGateway, token: str) -> httpx.Response:
    """The guide's +message sample with Basic auth by the first key and `token` in the three
    X-Plusmsg headers."""
    return await kddi.replay(sample("3.2"), **sample("3.2").headers_with(token))
