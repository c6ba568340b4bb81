"""Users' events on a rich channel reach the account of their bot, whose record is cached for
a few seconds: a change to it (or a bot newly given an account) shows within that time.

The rigs here look for configuration changes once an hour: the store's writes below bump the
accounts' version, and a look of the watch in between would drop the cache at a moment of its
own (the rig's default second made these tests fail now and then)."""

import dataclasses
from pathlib import Path

from smsgate.domain.account import Account
from smsgate.domain.ids import new_id
from smsgate.engine.clock import ManualClock
from smsgate.engine.ports import UserEvent
from smsgate.engine.user_events import BOT_CACHE_TTL
from tests.engine.channel_rig import USER, in_loop, rig

HOUR = 3600.0


def tap(bot: str) -> UserEvent:
    return UserEvent("response", bot, USER, {"postback": {"data": "yes"}}, new_id())


@in_loop
async def test_a_bots_account_is_cached_for_a_few_seconds(tmp_path: Path) -> None:
    clock = ManualClock()
    async with rig(tmp_path, clock=clock, config_poll_interval=HOUR) as r:
        outcomes = r.gateway.outcomes
        await outcomes.user_event("rcs", tap("bot-1"))
        moved = dataclasses.replace(r.account, rcs_webhook_url="http://127.0.0.1:9/moved")
        assert await r.store.update_account(moved)
        clock.advance(BOT_CACHE_TTL / 2)
        await outcomes.user_event("rcs", tap("bot-1"))  # the account as read before
        clock.advance(BOT_CACHE_TTL / 2)
        await outcomes.user_event("rcs", tap("bot-1"))  # read again: the new URL
        assert [i.url for i in r.items if i.event == "response"] == [
            "http://127.0.0.1:9/bot",
            "http://127.0.0.1:9/bot",
            "http://127.0.0.1:9/moved",
        ]


@in_loop
async def test_a_bot_without_an_account_is_remembered_too(tmp_path: Path) -> None:
    clock = ManualClock()
    async with rig(tmp_path, clock=clock, config_poll_interval=HOUR) as r:
        outcomes = r.gateway.outcomes
        await outcomes.user_event("rcs", tap("bot-2"))  # nobody's: dropped
        other = Account(
            id=new_id(),
            name="b",
            api_key_hash="y",
            bot_id="bot-2",
            rcs_webhook_url="http://127.0.0.1:9/two",
        )
        await r.store.create_account(other)
        await outcomes.user_event("rcs", tap("bot-2"))  # still believed to be nobody's
        assert [i for i in r.items if i.event == "response"] == []
        clock.advance(BOT_CACHE_TTL)
        await outcomes.user_event("rcs", tap("bot-2"))
        assert [(i.account_id, i.url) for i in r.items if i.event == "response"] == [
            (other.id, "http://127.0.0.1:9/two")
        ]
