"""submit_sm / data_sm / submit_multi from customers into the engine.

Submits that arrive in the same turn of the event loop for one account go to `Gateway.accept`
as one call (the engine commits them together); each is answered once its message committed.
Parts of a message submitted in several PDUs are answered once stored and go in as one message
(`multipart.py`).
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from smsgate.api.smpp_server.ids import customer_id
from smsgate.api.smpp_server.multipart import BindOptionsOf, MultipartIntake
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


@dataclass
class _Batch:
    """One account's submits of a turn, accepted together; their answers and connections."""

    account: Account
    commands: list[SendCommand] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    connections: set[SmppConnection] = field(default_factory=set)


def answer(connection: SmppConnection, pdu: SubmitPdu, result: Result, message_id: str) -> None:
    if not connection.is_open:
        return  # the client is gone; it never got an id, and resends what it still wants
    if isinstance(result, GatewayError):
        connection.send(pdu.response(result.smpp_status))
    else:
        connection.send(pdu.response(0, message_id=message_id))


class SubmitIntake:
    def __init__(self, gateway: Gateway, concat_wait: float, bind_options: BindOptionsOf) -> None:
        self.gateway = gateway
        self.multipart = MultipartIntake(gateway, concat_wait, bind_options)
        self._batches: dict[str, _Batch] = {}  # by account: submits not yet handed over
        self._tasks: set[asyncio.Task[None]] = set()

    # -- intake ------------------------------------------------------------------------------

    def submit(self, connection: SmppConnection, pdu: SubmitPdu) -> None:
        account: Account = connection.context["account"]
        options: BindOptions = connection.context["options"]
        try:
            submissions = read_submissions(pdu, options, self.gateway.clock.time())
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
        self.multipart.submit(connection, pdu, account, options, submission)

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
            connection,
        )

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
            self._queue(account, command, partial(done, index), connection)

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

    def _queue(
        self,
        account: Account,
        command: SendCommand,
        on_result: Answer,
        connection: SmppConnection,
    ) -> None:
        batch = self._batches.get(account.id)
        if batch is None:
            batch = self._batches[account.id] = _Batch(account)
            # the task's first step comes after this turn's reads, so it takes every submit of
            # the account they held (a callback to start the task would add a turn of its own)
            task = asyncio.create_task(self._accept(account.id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        batch.commands.append(command)
        batch.answers.append(on_result)
        batch.connections.add(connection)

    async def _accept(self, account_id: str) -> None:
        batch = self._batches.pop(account_id)
        commands = batch.commands
        try:
            results: list[Result] = await self.gateway.accept(batch.account, commands)
        except GatewayError as error:
            results = [error] * len(commands)
        except Exception:
            log.exception("accepting %d messages of %s failed", len(commands), account_id)
            results = [GatewayError("internal")] * len(commands)
        for on_result, result in zip(batch.answers, results, strict=True):
            on_result(result)
        # the batch's answers leave now, together, rather than at the end of the turn
        for connection in batch.connections:
            connection.flush()

    async def drain(self) -> None:
        await self.multipart.stop()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _id(result: Result) -> str:
    return result.id if isinstance(result, Message) else ""
