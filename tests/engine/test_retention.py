"""The retention job on both backends: messages and MO past their account's retention are
deleted, a bot's account keeps 31 days by default, and other accounts keep everything."""

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from smsgate.domain.inbound import InboundMessage
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from smsgate.engine.retention import BOT_RETENTION, RetentionJob, retention_of
from smsgate.store import Store
from tests.store.backends import BACKENDS, StoreBackend, store_backend
from tests.store.factories import id_made_at, new_account, new_message

DAY = 86_400.0


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as backend:
        yield backend


def test_retention_of_an_account() -> None:
    account = new_account()
    assert retention_of(account) is None
    assert retention_of(replace(account, bot_id="bot-1")) == BOT_RETENTION == 31 * DAY
    assert retention_of(replace(account, bot_id="bot-1", retention=7 * DAY)) == 7 * DAY
    assert retention_of(replace(account, bot_id="bot-1", retention=0.0)) is None


def test_a_pass_deletes_what_is_past_each_accounts_retention(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        clock = ManualClock()
        bot = replace(new_account("bot"), bot_id="bot-1")
        week = replace(new_account("week"), retention=7 * DAY)
        forever = new_account("forever")
        for account in (bot, week, forever):
            await s.create_account(account)
        ages = (40, 20, 1)
        messages = {
            (account.id, age): new_message(account.id, created_at=clock.now - age * DAY)
            for account in (bot, week, forever)
            for age in ages
        }
        for message in messages.values():
            message.status = Status.DELIVERED
        await s.write(list(messages.values()))
        job = RetentionJob(s, clock)

        assert await job.run_once() == 1 + 2
        expected_gone = {(bot.id, 40), (week.id, 40), (week.id, 20)}
        for key, message in messages.items():
            found = await s.get_message(message.id)
            assert (found is None) is (key in expected_gone), key
        assert await job.run_once() == 0
        clock.advance(20 * DAY)  # the bot's 20-day-old and the week's 1-day-old go now
        assert await job.run_once() == 2
        assert job.deleted == 5

    store.run(body)


def test_a_pass_deletes_the_mo_past_the_accounts_retention_too(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        clock = ManualClock()
        week = replace(new_account("week"), retention=7 * DAY)
        forever = new_account("forever")
        for account in (week, forever):
            await s.create_account(account)
        received = {
            (account.id, age): InboundMessage(
                id_made_at(clock.now - age * DAY),
                "sim",
                "819012345678",
                "1234",
                "stop",
                0,
                b"stop",
                clock.now - age * DAY,
                account.id,
            )
            for account in (week, forever)
            for age in (20, 1)
        }
        await s.write(list(received.values()))
        job = RetentionJob(s, clock)

        assert await job.run_once() == 1
        assert job.deleted_inbound == 1 and job.deleted == 0
        kept = {m.id for account in (week, forever) for m in (await s.list_inbound(account.id))[0]}
        gone = received[(week.id, 20)].id
        assert kept == {m.id for m in received.values()} - {gone}

    store.run(body)


def test_the_job_runs_at_start_and_stops(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        clock = ManualClock()
        account = replace(new_account("bot"), bot_id="bot-2")
        await s.create_account(account)
        old = new_message(account.id, created_at=clock.now - 32 * DAY)
        old.status = Status.EXPIRED
        await s.write([old])
        job = RetentionJob(s, clock, interval=3600.0)
        job.start()
        await asyncio.wait_for(job.passed.wait(), 10)
        await job.stop()
        assert job.deleted == 1
        assert await s.get_message(old.id) is None

    store.run(body)
