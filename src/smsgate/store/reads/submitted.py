"""Parts of messages customers submitted in several PDUs, stored until their message is whole."""

from smsgate.domain.submitted_part import SubmittedPart
from smsgate.store import sql
from smsgate.store.reads.primitives import Primitives
from smsgate.store.rows import submitted_part_from


class SubmittedReads(Primitives):
    async def submitted_parts(self) -> list[SubmittedPart]:
        """Every stored part of a message not accepted whole yet, oldest first."""
        rows = await self._select_rows(sql.LIST_SUBMITTED_PARTS, [])
        return [submitted_part_from(row) for row in rows]
