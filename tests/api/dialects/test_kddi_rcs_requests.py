"""KDDI Message Cast +message requests against a whole gateway with the built-in RCS platform:
token and header refusals, the RCS API's own path, the capability check and the subscriber
list, on both store backends."""

import asyncio
from typing import Any

import httpx

from smsgate.domain.status import Status
from tests.api.dialects.kddi_rcs import BOT, CAPABLE, NOT_CAPABLE, KddiGateway, kddi_gateway
from tests.api.dialects.test_kddi_rcs import with_contact
from tests.api.harness import add_account
from tests.fixtures.kddi_samples import sample
from tests.store.backends import StoreBackend

BOT_PATH = f"/kddi/v1/fallback/rcs/bot/v1/{BOT}"


def run(backend: StoreBackend, scenario: Any) -> None:
    async def main() -> None:
        async with kddi_gateway(backend.url) as kddi:
            await asyncio.wait_for(scenario(kddi), 60)

    asyncio.run(main())


def refused(answer: httpx.Response, status: int, reason: str, words: str) -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["reason"]) == (status, reason), error
    assert words in error["message"], error


def test_tokens_and_headers_of_a_plus_message_send(backend: StoreBackend) -> None:
    async def scenario(kddi: KddiGateway) -> None:
        text = sample("3.2")  # X-Fallback 1
        for fallback in ("0", "1"):
            header = {"X-Fallback": fallback}
            # a missing or wrong token: 401; the SMS token: 400 saying what +message takes
            answer = await kddi.replay(text, **header, **{"X-Plusmsg-tmt-Authorization": ""})
            refused(answer, 401, "unauthorized", "not this account's")
            wrong = {"X-Plusmsg-gmp-Authorization": "Bearer sg_not-the-key"}
            refused(await kddi.replay(text, **header, **wrong), 401, "unauthorized", "token")
            plain = {"X-Plusmsg-mkn-Authorization": kddi.key}  # without "Bearer"
            refused(await kddi.replay(text, **header, **plain), 401, "unauthorized", "token")
            sms = {"X-Plusmsg-mkn-Authorization": "Bearer smsonly"}
            refused(
                await kddi.replay(text, **header, **sms),
                400,
                "invalid_request",
                "'Bearer smsonly' is for SMS",
            )
        headers = {**text.headers_with(kddi.key), **kddi.basic()}
        del headers["X-Plusmsg-mkn-Authorization"]
        missing = await kddi.gw.client.post(
            text.target(bot_id=BOT), json=text.body, headers=headers
        )
        refused(missing, 401, "unauthorized", "X-Plusmsg-mkn-Authorization header is missing")
        del headers["X-Fallback"]
        no_fallback = await kddi.gw.client.post(
            text.target(bot_id=BOT), json=text.body, headers=headers
        )
        refused(no_fallback, 400, "missing_parameter", "X-Fallback")
        # the body: no content, content the engine refuses (the field named)
        no_content = {"messageContact": {"userContact": CAPABLE}}
        refused(await kddi.replay(text, no_content), 400, "missing_parameter", "RCSMessage")
        bad = {**text.body, "message": {**text.body["message"], "RCSMessage": {"textMessage": 5}}}
        refused(await kddi.replay(text, bad), 400, "invalid_rcs_content", "textMessage")
        # the RCS API's own path: X-Auth-Token is the API key
        carousel = sample("3.7")
        for token, words in (("", "X-Auth-Token"), ("sg_wrong", "unknown API key")):
            answer = await kddi.replay(carousel, **{"X-Auth-Token": token})
            refused(answer, 401, "unauthorized", words)
        assert kddi.gw.app.gateway is not None
        messages, _ = await kddi.gw.app.gateway.queries.messages(kddi.account.id)
        assert messages == []
        # an account without a bot has no +message
        key = await add_account(kddi.gw.app, "no-bot")
        answer = await kddi.gw.client.post(
            carousel.target(), json=carousel.body, headers=carousel.headers_with(key)
        )
        refused(answer, 403, "forbidden", "no bot")

    run(backend, scenario)


def test_capability_check_and_subscriber_list(backend: StoreBackend) -> None:
    async def scenario(kddi: KddiGateway) -> None:
        client, auth = kddi.gw.client, kddi.basic()
        capabilities = f"{BOT_PATH}/contactCapabilities"
        asked = await client.post(
            capabilities, json={"messageContact": {"userContact": CAPABLE}}, headers=auth
        )
        assert asked.status_code == 200
        assert asked.json() == {"userContact": CAPABLE, "capable": True}
        by_query = await client.get(capabilities, params={"userContact": NOT_CAPABLE}, headers=auth)
        assert by_query.json() == {"userContact": NOT_CAPABLE, "capable": False}
        refused(
            await client.post(capabilities, json={}, headers=auth),
            400,
            "missing_parameter",
            "userContact",
        )
        refused(
            await client.get(capabilities, params={"userContact": "09012345678"}, headers=auth),
            400,
            "invalid_destination",
            "+81",
        )
        other_bot = capabilities.replace(BOT, "someone-else")
        refused(await client.get(other_bot, headers=auth), 403, "forbidden", "not this account")
        # the platform down: nobody can tell (a number not asked before: no cached answer)
        kddi.rcs.outage_status = 503
        down = await client.get(capabilities, params={"userContact": "+819011110000"}, headers=auth)
        kddi.rcs.outage_status = None
        refused(down, 503, "rcs_unavailable", "no RCS connector could tell")
        assert down.headers["retry-after"] == "1"

        # two users get a message: each subscribes with their first one (newUser)
        users = ["+819022220000", "+819011110000"]
        for user in users:
            answer = await kddi.replay(sample("3.2"), with_contact(sample("3.2").body, user))
            msg_id = answer.json()["RCSMessage"]["msgId"]
            await kddi.statuses.reach(msg_id.replace("-", ""), Status.DELIVERED)
        subscribers = f"{BOT_PATH}/subscribers"
        first = (await client.get(subscribers, params={"limit": 1}, headers=auth)).json()
        assert [s["userContact"] for s in first["subscribers"]] == [min(users)]
        assert first["subscribers"][0]["subscribedAt"].endswith("Z")
        assert first["next"] == min(users)
        rest = await client.get(
            subscribers, params={"limit": 1, "after": first["next"]}, headers=auth
        )
        assert rest.json() == {
            "subscribers": [
                {
                    "userContact": max(users),
                    "subscribedAt": rest.json()["subscribers"][0]["subscribedAt"],
                }
            ],
            "next": None,
        }
        whole = (await client.get(subscribers, headers=auth)).json()
        assert [s["userContact"] for s in whole["subscribers"]] == sorted(users)
        for limit in ("0", "1001", "x"):
            answer = await client.get(subscribers, params={"limit": limit}, headers=auth)
            refused(answer, 400, "invalid_page_size", "1 to 1000")
        refused(
            await client.get(subscribers, params={"after": "abc"}, headers=auth),
            400,
            "invalid_destination",
            "after",
        )

    run(backend, scenario)
