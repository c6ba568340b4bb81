"""What the web console keeps: its users (with their login lockout), their sessions, the
message templates of each account; and the few reads only its pages make (a message's outbox
items, the outbox's depth, failures by error code)."""

from collections.abc import Sequence
from typing import Any, Final

from smsgate.domain.console_user import ConsoleSession, ConsoleUser, Role
from smsgate.domain.outbox import OutboxItem
from smsgate.store import sql
from smsgate.store.columns import Row
from smsgate.store.reads.primitives import Primitives
from smsgate.store.rows import outbox_from

MAX_TEMPLATES: Final = 200  # per account
MAX_ITEMS_SHOWN: Final = 100  # outbox items of one message

_USER_COLUMNS: Final = "name, role, account_id, password_hash, created_at, failures, locked_until"
_SESSION_COLUMNS: Final = "id_hash, user_name, csrf_token, created_at, expires_at"


def _user(row: Row) -> ConsoleUser:
    return ConsoleUser(
        name=row[0],
        role=Role(row[1]),
        account_id=row[2],
        password_hash=row[3],
        created_at=float(row[4]),
        failures=int(row[5]),
        locked_until=float(row[6]),
    )


class ConsoleReads(Primitives):
    # -- users ---------------------------------------------------------------------------------

    async def create_console_user(self, user: ConsoleUser) -> None:
        """DuplicateError when the name is taken."""
        await self._change_rows(
            f"INSERT INTO console_users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                user.name,
                user.role.value,
                user.account_id,
                user.password_hash,
                user.created_at,
                user.failures,
                user.locked_until,
            ],
        )

    async def console_user(self, name: str) -> ConsoleUser | None:
        rows = await self._select_rows(
            f"SELECT {_USER_COLUMNS} FROM console_users WHERE name = ?", [name]
        )
        return _user(rows[0]) if rows else None

    async def console_users(self) -> list[ConsoleUser]:
        rows = await self._select_rows(
            f"SELECT {_USER_COLUMNS} FROM console_users ORDER BY name", []
        )
        return [_user(row) for row in rows]

    async def set_console_password(self, name: str, password_hash: str) -> bool:
        """A new password; also lifts a lockout. False if there is no such user."""
        query = (
            "UPDATE console_users SET password_hash = ?, failures = 0, locked_until = 0"
            " WHERE name = ?"
        )
        return await self._change_rows(query, [password_hash, name]) > 0

    async def console_login_failed(self, name: str, failures: int, locked_until: float) -> None:
        query = "UPDATE console_users SET failures = ?, locked_until = ? WHERE name = ?"
        await self._change_rows(query, [failures, locked_until, name])

    async def delete_console_user(self, name: str) -> bool:
        await self._change_rows("DELETE FROM console_sessions WHERE user_name = ?", [name])
        return await self._change_rows("DELETE FROM console_users WHERE name = ?", [name]) > 0

    # -- sessions ------------------------------------------------------------------------------

    async def create_console_session(self, session: ConsoleSession) -> None:
        await self._change_rows(
            f"INSERT INTO console_sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            [
                session.id_hash,
                session.user_name,
                session.csrf_token,
                session.created_at,
                session.expires_at,
            ],
        )

    async def console_session(self, id_hash: str, now: float) -> ConsoleSession | None:
        """The session, unless it expired by `now`."""
        rows = await self._select_rows(
            f"SELECT {_SESSION_COLUMNS} FROM console_sessions WHERE id_hash = ? AND expires_at > ?",
            [id_hash, now],
        )
        if not rows:
            return None
        row = rows[0]
        return ConsoleSession(row[0], row[1], row[2], float(row[3]), float(row[4]))

    async def end_console_sessions(
        self, *, id_hash: str | None = None, user_name: str | None = None
    ) -> int:
        """End one session, or every session of a user (its password changed)."""
        where, params = sql.conditions(
            "1 = 1", [], (("id_hash = ?", id_hash), ("user_name = ?", user_name))
        )
        if not params:
            raise ValueError("name a session or a user")
        return await self._change_rows(f"DELETE FROM console_sessions WHERE {where}", params)

    async def purge_console_sessions(self, before: float) -> int:
        query = "DELETE FROM console_sessions WHERE expires_at <= ?"
        return await self._change_rows(query, [before])

    # -- message templates ---------------------------------------------------------------------

    async def save_template(self, account_id: str, name: str, text: str, at: float) -> None:
        """Create or replace the account's template `name`; ValueError past MAX_TEMPLATES."""
        if len(await self.templates(account_id)) >= MAX_TEMPLATES:
            exists = await self._select_count(
                "SELECT COUNT(*) FROM message_templates WHERE account_id = ? AND name = ?",
                [account_id, name],
            )
            if not exists:
                raise ValueError(f"an account keeps at most {MAX_TEMPLATES} templates")
        await self._change_rows(
            """INSERT INTO message_templates (account_id, name, text, updated_at)
                VALUES (?, ?, ?, ?) ON CONFLICT (account_id, name)
                DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at""",
            [account_id, name, text, at],
        )

    async def templates(self, account_id: str) -> list[tuple[str, str]]:
        """(name, text) of the account's templates, by name."""
        rows = await self._select_rows(
            "SELECT name, text FROM message_templates WHERE account_id = ? ORDER BY name LIMIT ?",
            [account_id, MAX_TEMPLATES],
        )
        return [(str(row[0]), str(row[1])) for row in rows]

    async def delete_template(self, account_id: str, name: str) -> bool:
        query = "DELETE FROM message_templates WHERE account_id = ? AND name = ?"
        return await self._change_rows(query, [account_id, name]) > 0

    # -- reads for the console's pages ---------------------------------------------------------

    async def outbox_items_of(self, account_id: str, subject_id: str) -> list[OutboxItem]:
        """What was owed to the account about one message or inbound message (its callbacks
        and receipts, with their attempts), oldest first."""
        query = f"{sql.OUTBOX_SELECT} WHERE subject_id = ? AND account_id = ? ORDER BY id LIMIT ?"
        rows = await self._select_rows(query, [subject_id, account_id, MAX_ITEMS_SHOWN])
        return [outbox_from(row) for row in rows]

    async def error_counts(
        self, since_id: str, account_id: str | None = None, limit: int = 20
    ) -> list[tuple[str, int]]:
        """The commonest error codes of messages created since the id `since_id` (ids grow with
        time, so the primary key bounds the scan), most frequent first."""
        where, params = sql.conditions(
            "id >= ? AND error_code IS NOT NULL", [since_id], (("account_id = ?", account_id),)
        )
        rows = await self._select_rows(
            f"SELECT error_code, COUNT(*) AS n FROM messages WHERE {where}"
            " GROUP BY error_code ORDER BY n DESC LIMIT ?",
            [*params, limit],
        )
        return [(str(row[0]), int(row[1])) for row in rows]

    async def delete_empty_account(self, account_id: str) -> bool:
        """Delete an account that never had a message (with its balance, opt-outs, templates,
        console users and API keys); False when it has messages (suspend it instead) or does
        not exist."""
        has: Sequence[Any] = [account_id]
        used = "SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE account_id = ? LIMIT 1) m"
        if await self._select_count(used, has):
            return False
        for query in (
            "DELETE FROM balances WHERE account_id = ?",
            "DELETE FROM opt_outs WHERE account_id = ?",
            "DELETE FROM message_templates WHERE account_id = ?",
            "DELETE FROM console_sessions WHERE user_name IN"
            " (SELECT name FROM console_users WHERE account_id = ?)",
            "DELETE FROM console_users WHERE account_id = ?",
            "DELETE FROM api_keys WHERE account_id = ?",
        ):
            await self._change_rows(query, has)
        return await self._change_rows("DELETE FROM accounts WHERE id = ?", has) > 0
