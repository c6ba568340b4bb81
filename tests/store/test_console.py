"""The console's tables on both backends: users with their lockout, sessions, templates, a
message's outbox items, failures by error code, deleting an account that never sent."""

import pytest

from smsgate.domain.account import Account
from smsgate.domain.console_user import ConsoleSession, ConsoleUser, Role
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import Status
from smsgate.engine.administration import id_floor
from smsgate.store import Store
from smsgate.store.changes import MessageUpdate
from smsgate.store.errors import DuplicateError
from tests.store.backends import StoreBackend
from tests.store.factories import new_message


def test_users_sessions_and_lockout_fields(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        await s.create_account(Account(id="acc1", name="one"))
        user = ConsoleUser("ann", Role.CUSTOMER, "acc1", "hash1", 10.0)
        await s.create_console_user(user)
        await s.create_console_user(ConsoleUser("op", Role.OPERATOR, None, "hash2", 11.0))
        with pytest.raises(DuplicateError):
            await s.create_console_user(user)
        assert await s.console_user("ann") == user
        assert [u.name for u in await s.console_users()] == ["ann", "op"]
        await s.console_login_failed("ann", 5, 99.5)
        found = await s.console_user("ann")
        assert found is not None and (found.failures, found.locked_until) == (5, 99.5)
        assert await s.set_console_password("ann", "hash3")
        found = await s.console_user("ann")
        assert found is not None and (found.password_hash, found.failures) == ("hash3", 0)
        assert not await s.set_console_password("nobody", "x")

        await s.create_console_session(ConsoleSession("h1", "ann", "csrf1", 1.0, 100.0))
        await s.create_console_session(ConsoleSession("h2", "ann", "csrf2", 1.0, 50.0))
        assert await s.console_session("h1", 60.0) == ConsoleSession(
            "h1", "ann", "csrf1", 1.0, 100.0
        )
        assert await s.console_session("h2", 60.0) is None  # expired
        assert await s.purge_console_sessions(60.0) == 1
        assert await s.end_console_sessions(user_name="ann") == 1
        assert await s.console_session("h1", 60.0) is None

    store.run(body)


def test_templates_outbox_items_errors_and_deletion(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        await s.create_account(Account(id="acc1", name="one"))
        await s.create_account(Account(id="acc2", name="two"))
        await s.save_template("acc1", "hello", "Hello {name}", 1.0)
        await s.save_template("acc1", "hello", "Hi", 2.0)
        await s.save_template("acc1", "bye", "Bye", 2.0)
        assert await s.templates("acc1") == [("bye", "Bye"), ("hello", "Hi")]
        assert await s.templates("acc2") == []
        assert await s.delete_template("acc1", "bye")
        assert not await s.delete_template("acc2", "hello")

        message = new_message(account_id="acc1")
        item = OutboxItem(
            "o1",
            "http",
            "acc1",
            message.id,
            "delivered",
            {"id": message.id},
            5.0,
            5.0,
            url="http://example.com/cb",
        )
        await s.write([message, item])
        await s.write([MessageUpdate(message.id, Status.FAILED, 6.0, error_code="undeliverable")])
        assert [i.id for i in await s.outbox_items_of("acc1", message.id)] == ["o1"]
        assert await s.outbox_items_of("acc2", message.id) == []  # another account's
        assert await s.outbox_totals() == {"pending": 1}
        assert await s.error_counts(id_floor(0.0)) == [("undeliverable", 1)]
        assert await s.error_counts(id_floor(0.0), "acc2") == []
        assert await s.error_counts(id_floor(message.created_at + 3600)) == []

        assert not await s.delete_empty_account("acc1")  # it has a message
        assert await s.delete_empty_account("acc2")
        assert await s.get_account("acc2") is None

    store.run(body)
