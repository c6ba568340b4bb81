"""submit_sm / data_sm / submit_multi from customers into the engine.

Submits that arrive in the same turn of the event loop for one account go to `Gateway.accept`
as one call (the engine commits them together); each is answered once its message committed.
Parts of a concatenated message wait in a PartGatherer and go in as one message.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from smsgate.api.smpp_server.concat import Group, PartGatherer
from smsgate.api.smpp_server.ids import customer_id, part_id
from smsgate.api.smpp_server.options import BindOptions
from smsgate.api.smpp_server.translate import Submission, SubmitPdu, read_submissions
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import SmeAddress, SubmitMulti, UnsuccessSme
from smsgate.transport.smpp_connection import SmppConnection

log = logging.getLogger(__name__)

Result = Message | GatewayError
Answer = Callable[[Result], None]


@dataclass(slots=True)
class HeldPart:
    connection: SmppConnection
    pdu: SubmitPdu
    submission: Submission
    options: BindOptions


def answer(connection: SmppConnection, pdu: SubmitPdu, result: Result, message_id: str) -> None:
    if not connection.is_open:
        return  # the client is gone; it never got an id, and resends what it still wants
    if isinstance(result, GatewayError):
        connection.send(pdu.response(result.smpp_status))
    else:
        connection.send(pdu.response(0, message_id=message_id))


class SubmitIntake:
    def __init__(self, gateway: Gateway, concat_wait: float) -> None:
        self.gateway = gateway
        self.gatherer: PartGatherer[HeldPart] = PartGatherer(concat_wait)
        self._batches: dict[str, tuple[Account, list[SendCommand], list[Answer]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None

    # -- intake ------------------------------------------------------------------------------

    def submit(self, connection: SmppConnection, pdu: SubmitPdu) -> None:
        account: Account = connection.context["account"]
        options: BindOptions = connection.context["options"]
        now = self.gateway.clock.time()
        try:
            submissions = read_submissions(pdu, options, now)
        except GatewayError as error:
            connection.send(pdu.response(error.smpp_status))
            return
        if isinstance(pdu, SubmitMulti):
            self._submit_multi(connection, pdu, account, submissions)
            return
        submission = submissions[0]
        concat = submission.concat
        if concat is None:
            self._one(connection, pdu, account, submission)
            return
        key = (account.id, submission.sender, submission.to, concat.reference, concat.total)
        held = HeldPart(connection, pdu, submission, options)
        for group in self.gatherer.add(key, concat.seqnum, concat.total, held, now):
            self._finish(account, group)
        self._schedule_expiry()

    def _one(
        self, connection: SmppConnection, pdu: SubmitPdu, account: Account, sub: Submission
    ) -> None:
        try:
            command = sub.command()
        except GatewayError as error:
            connection.send(pdu.response(error.smpp_status))
            return
        self._queue(
            account,
            command,
            lambda result: answer(
                connection, pdu, result, customer_id(_id(result), connection.context["options"].ids)
            ),
        )

    def _finish(self, account: Account, group: Group[HeldPart]) -> None:
        items = group.items()
        if not group.complete:
            # parts that waited too long for their siblings go on each as a message of its own
            for held in items:
                self._one(held.connection, held.pdu, account, held.submission)
            return
        first_copies: dict[int, HeldPart] = {}
        for held in items:
            assert held.submission.concat is not None
            first_copies.setdefault(held.submission.concat.seqnum, held)
        body = b"".join(first_copies[seq].submission.body for seq in sorted(first_copies))
        try:
            command = items[0].submission.command(body)
        except GatewayError as error:
            for held in items:
                answer(held.connection, held.pdu, error, "")
            return
        single, ids = items[0].options.single, items[0].options.ids

        def answer_all(result: Result) -> None:
            for held in items:
                assert held.submission.concat is not None
                seq = held.submission.concat.seqnum
                answer(held.connection, held.pdu, result, part_id(_id(result), seq, single, ids))

        self._queue(account, command, answer_all)

    def _submit_multi(
        self,
        connection: SmppConnection,
        pdu: SubmitMulti,
        account: Account,
        submissions: list[Submission],
    ) -> None:
        """One message per destination; the resp names the destinations that failed and the
        id of the first accepted message (the others are found by query per destination)."""
        results: list[Result | None] = [None] * len(submissions)
        remaining = len(submissions)

        def done(index: int, result: Result) -> None:
            nonlocal remaining
            results[index] = result
            remaining -= 1
            if remaining == 0:
                self._answer_multi(connection, pdu, results)

        for index, sub in enumerate(submissions):
            try:
                if not sub.to:
                    raise GatewayError("invalid_destination", "distribution lists are not kept")
                command = sub.command()
            except GatewayError as error:
                done(index, error)
                continue
            self._queue(account, command, partial(done, index))

    @staticmethod
    def _answer_multi(
        connection: SmppConnection, pdu: SubmitMulti, results: list[Result | None]
    ) -> None:
        if not connection.is_open:
            return
        failures = [
            UnsuccessSme(dest.address, dest.ton, dest.npi, result.smpp_status)
            if isinstance(dest, SmeAddress)
            else UnsuccessSme(dest.name, 0, 0, result.smpp_status)
            for dest, result in zip(pdu.dest_addresses, results, strict=True)
            if isinstance(result, GatewayError)
        ]
        accepted = [r for r in results if isinstance(r, Message)]
        if not accepted:
            status = (
                CommandStatus.ESME_RINVNUMDESTS
                if len({f.error_status for f in failures}) > 1
                else failures[0].error_status
            )
            connection.send(pdu.response(status))
            return
        first = customer_id(accepted[0].id, connection.context["options"].ids)
        connection.send(pdu.response(0, message_id=first, unsuccess_smes=failures))

    # -- batching into Gateway.accept ----------------------------------------------------------

    def _queue(self, account: Account, command: SendCommand, on_result: Answer) -> None:
        batch = self._batches.get(account.id)
        if batch is None:
            if not self._batches:
                asyncio.get_running_loop().call_soon(self._flush)
            batch = self._batches[account.id] = (account, [], [])
        batch[1].append(command)
        batch[2].append(on_result)

    def _flush(self) -> None:
        batches, self._batches = self._batches, {}
        for account, commands, answers in batches.values():
            task = asyncio.create_task(self._accept(account, commands, answers))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _accept(
        self, account: Account, commands: list[SendCommand], answers: list[Answer]
    ) -> None:
        try:
            results: list[Result] = await self.gateway.accept(account, commands)
        except GatewayError as error:
            results = [error] * len(commands)
        except Exception:
            log.exception("accepting %d messages of %s failed", len(commands), account.id)
            results = [GatewayError("internal")] * len(commands)
        for on_result, result in zip(answers, results, strict=True):
            on_result(result)

    # -- parts that wait too long --------------------------------------------------------------

    def _schedule_expiry(self) -> None:
        deadline = self.gatherer.next_deadline()
        if deadline is None or self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, deadline - self.gateway.clock.time())
        self._timer = loop.call_later(delay, self._expire)

    def _expire(self) -> None:
        self._timer = None
        for group in self.gatherer.expire(self.gateway.clock.time()):
            held = group.items()
            self._finish(held[0].connection.context["account"], group)
        self._schedule_expiry()

    def forget(self, connection: SmppConnection) -> None:
        """The connection closed: its held parts were never acknowledged, nothing to answer."""
        self.gatherer.drop_items(lambda held: held.connection is not connection)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _id(result: Result) -> str:
    return result.id if isinstance(result, Message) else ""
