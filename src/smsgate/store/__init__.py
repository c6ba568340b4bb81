"""Durable storage: messages and their history, accounts, inbound messages, routing tables.
The records it keeps live in `smsgate.domain`; the changes `Store.write` takes, here.

`open_store(url)` picks the backend: a `postgresql://` or `postgres://` URL gives PostgreSQL,
anything else is the path of a SQLite database file.
"""

from typing import Any

from smsgate.store.base import Store
from smsgate.store.changes import (
    BalanceChange,
    Change,
    IdempotentResponse,
    InboundClaim,
    MessageReplaced,
    MessageUpdate,
    OutboxUpdate,
    PartUpdate,
    SegmentsTaken,
    SubmittedPartsTaken,
)
from smsgate.store.errors import (
    BalanceError,
    DuplicateError,
    IntegrityError,
    InvalidCursorError,
    StoreBusyError,
    StoreClosedError,
    StoreCorruptError,
    StoreError,
    StoreFencedError,
    StoreFullError,
    unreachable,
)

__all__ = [
    "BalanceChange",
    "BalanceError",
    "Change",
    "DuplicateError",
    "IdempotentResponse",
    "InboundClaim",
    "IntegrityError",
    "InvalidCursorError",
    "MessageReplaced",
    "MessageUpdate",
    "OutboxUpdate",
    "PartUpdate",
    "SegmentsTaken",
    "Store",
    "StoreBusyError",
    "StoreClosedError",
    "StoreCorruptError",
    "StoreError",
    "StoreFencedError",
    "StoreFullError",
    "SubmittedPartsTaken",
    "is_postgres_url",
    "open_store",
    "unreachable",
]


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


async def open_store(url: str, **options: Any) -> Store:
    """An open store for `url`; `options` go to the backend (max_pending, queue_wait, ...).
    The SQLite file's parent directories are created."""
    store: Store
    if is_postgres_url(url):
        from smsgate.store.postgres import PostgresStore  # noqa: PLC0415 - asyncpg only if used

        store = PostgresStore(url, **options)
    else:
        from smsgate.store.sqlite import SqliteStore  # noqa: PLC0415

        store = SqliteStore(url, **options)
    await store.open()
    return store
