"""The SQLite store's end of its writer socket: when frames leave, and in what order."""

import asyncio

from smsgate.store.batch import PendingWrite
from smsgate.store.sqlite.link import WriterLink
from smsgate.store.sqlite.wire import JOB, WRITES, unframe
from tests.store.factories import new_message


class Recorder:
    """A transport that keeps what is written to it, one entry per write (system call)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)


class Owner:
    def _settle(self, batch: object, outcomes: object) -> None: ...
    def _answered(self, batch: object, fallback: bool, outcomes: object) -> None: ...
    def _writer_gone(self) -> None: ...


def _kinds(data: bytes) -> list[str]:
    return [payload[0] for payload in unframe(bytearray(data))]


def test_writes_leave_at_once_behind_the_jobs_of_their_turn() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        link, transport = WriterLink(Owner()), Recorder()
        link.connection_made(transport)  # type: ignore[arg-type]
        link.send_job(True, [(False, "SELECT 1", [])])
        link.send_job(True, [(False, "SELECT 2", [])])
        assert transport.writes == []  # jobs wait for the end of the turn, to go together
        link.send_writes([PendingWrite([new_message("acct")], loop.create_future())])
        # without waiting for the turn to end, and the jobs before it keep their place
        assert [_kinds(data) for data in transport.writes] == [[JOB, JOB, WRITES]]
        await asyncio.sleep(0)  # the turn's scheduled write finds nothing left to send
        assert len(transport.writes) == 1
        link.send_job(False, [(False, "SELECT 3", [])])
        await asyncio.sleep(0)
        assert [_kinds(data) for data in transport.writes[1:]] == [[JOB]]

    asyncio.run(scenario())
