"""What a backend implements so that the shared queries run on it.

Every statement is written once with `?` placeholders; a backend runs it its own way (the
PostgreSQL backend numbers the placeholders, `$1, $2, ...`). Where the dialects differ beyond
that, the difference is a class attribute here (`_claim_lock`) or one of these primitives
(`_upsert_portability`).
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from smsgate.domain.message import Message
from smsgate.domain.routing_tables import PortabilityRow
from smsgate.store.changes import Change
from smsgate.store.columns import Row


class Primitives(ABC):
    # what a claim adds to its SELECT so that several nodes claim different rows
    _claim_lock: ClassVar[str] = ""
    # who claims an outbox item: the node, among several (PostgreSQL's session setting)
    _claimer: ClassVar[str] = "NULL"
    # what a count of the few unfinished (sent) messages among many reads, after `FROM
    # messages`: SQLite, which keeps no statistics here, would walk an index of the account's
    # messages instead, every message it ever stored
    _unfinished_index: ClassVar[str] = ""
    _sent_index: ClassVar[str] = ""

    @abstractmethod
    async def write(self, changes: Sequence[Change]) -> None:
        """Persist `changes` in one transaction (group commit, see `Store.write`)."""

    @abstractmethod
    async def _select_rows(self, query: str, params: Sequence[Any]) -> list[Row]:
        """The rows a SELECT returns."""

    @abstractmethod
    async def _select_messages(self, query: str, params: Sequence[Any]) -> list[Message]:
        """The messages a SELECT of message rows finds, each with its parts, all read from the
        same snapshot."""

    @abstractmethod
    async def _change_rows(self, query: str, params: Sequence[Any]) -> int:
        """Run one statement in a transaction of its own (SQLite: on the writer); the number of
        rows it changed. Constraint errors come as the store's own (DuplicateError, ...)."""

    @abstractmethod
    async def _change_returning(self, query: str, params: Sequence[Any]) -> list[Row]:
        """Run one statement with a RETURNING clause in a transaction of its own; its rows."""

    @abstractmethod
    async def _replace_rows(
        self,
        delete: str,
        delete_params: Sequence[Any],
        insert: str,
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """In one transaction: `delete`, then `insert` once per row."""

    @abstractmethod
    async def _upsert_portability(self, rows: Sequence[PortabilityRow]) -> None:
        """Insert or update a chunk of ported numbers in one transaction; a number given twice
        takes its last row."""

    async def _delete_batches(
        self, statements: Sequence[str], params: Sequence[Any], batch: int
    ) -> int:
        """Run a purge's statements (`params`, then `batch` as their last parameter), each in a
        transaction of its own, until the last one (which deletes the batch's own rows) deletes
        fewer than `batch`; how many rows it deleted in all. A purge stopped half-way leaves
        rows the next run finds."""
        params = [*params, batch]
        deleted = 0
        while True:
            for statement in statements[:-1]:
                await self._change_rows(statement, params)
            count = await self._change_rows(statements[-1], params)
            deleted += count
            if count < batch:
                return deleted

    async def _select_count(self, query: str, params: Sequence[Any]) -> int:
        """The single integer a SELECT COUNT returns."""
        rows = await self._select_rows(query, params)
        return int(rows[0][0])
