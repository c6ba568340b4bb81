"""Messages customers submit in several PDUs (a concatenation UDH or the SAR TLVs): each part
answered as soon as it is stored, the message accepted once whole.

A part is written to `submitted_parts` before its submit_sm_resp, so a client that waits for
each answer before sending the next part (a window of 1) is answered at once. The message id is
chosen when the group's first part is stored and every part answers it (under SINGLE with its
part number, `ids.part_id`). The part that completes the group is not stored on its own: the
whole message is accepted with the deletion of the stored parts in the same write, and that
part is answered once it committed; refused (throttled, a text that does not decode, ...), it
is answered with the catalog error and the group keeps waiting for it. At start the stored
parts go back into the gatherer, so a restart between two parts loses nothing.

A group whose parts stop coming is accepted after `wait` seconds as the parts that came (one
message, the text they hold); while the engine cannot take it (throttled, queue full) it waits
again. One the engine refuses for good (its text, an opt-out that came meanwhile) is given up
and logged: its parts were answered, so there is no answer left to carry the error.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Final

from smsgate.api.smpp_server.concat import Group, PartGatherer
from smsgate.api.smpp_server.ids import part_id
from smsgate.api.smpp_server.options import BindOptions
from smsgate.api.smpp_server.translate import Submission, SubmitPdu, read_submissions
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.message import Message
from smsgate.domain.submitted_part import SubmittedPart
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway
from smsgate.smpp import codec
from smsgate.smpp.pdu import DataSm, SubmitSm
from smsgate.store import Change, SubmittedPartsTaken
from smsgate.text import Encoding
from smsgate.transport.smpp_connection import SmppConnection

log = logging.getLogger(__name__)

Result = Message | GatewayError
BindOptionsOf = Callable[[str, Account], BindOptions]  # (system_type, account) -> options
GroupKey = tuple[str, str, str, int, int]  # account, sender, destination, reference, total

# refusals that pass: the group waits and is tried again
_TRANSIENT: Final = frozenset({"throttled", "queue_full", "unavailable", "internal"})


@dataclass(slots=True)
class HeldPart:
    record: SubmittedPart
    submission: Submission
    options: BindOptions


def answer(
    connection: SmppConnection, pdu: SubmitPdu, error: GatewayError | None, message_id: str = ""
) -> None:
    if not connection.is_open:
        return  # the client is gone; it resends what it still wants
    if error is not None:
        connection.send(pdu.response(error.smpp_status))
    else:
        connection.send(pdu.response(0, message_id=message_id))


class MultipartIntake:
    def __init__(self, gateway: Gateway, wait: float, bind_options: BindOptionsOf) -> None:
        self.gateway = gateway
        self.bind_options = bind_options  # how a bind's system_type and account read parts
        self.gatherer: PartGatherer[HeldPart] = PartGatherer(wait)
        self._accounts: dict[str, Account] = {}
        self._completing: dict[GroupKey, asyncio.Future[Result]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        """Put the parts stored before a restart back into the gatherer."""
        stored = await self.gateway.queries.submitted_parts()
        for record in stored:
            account = await self._account(record.account_id)
            if account is None:
                log.warning("stored part of %s: its account is gone", record.message_id)
                continue
            options = self.bind_options(record.system_type, account)
            pdu = codec.decode(record.pdu)
            assert isinstance(pdu, SubmitSm | DataSm)
            submission = read_submissions(pdu, options, record.received_at)[0]
            held = HeldPart(record, submission, options)
            key = _key(record)
            for group in self.gatherer.add(key, record.seq, record.total, held, record.received_at):
                self._spawn(self._expired(group))
        if stored:
            log.info("restored %d parts of messages submitted in several PDUs", len(stored))
        self._schedule_expiry()

    def submit(
        self,
        connection: SmppConnection,
        pdu: SubmitSm | DataSm,
        account: Account,
        options: BindOptions,
        submission: Submission,
    ) -> None:
        concat = submission.concat
        assert concat is not None
        seq, total = concat.seqnum, concat.total
        key: GroupKey = (account.id, submission.sender, submission.to, concat.reference, total)
        self._accounts[account.id] = account
        group = self.gatherer.get(key)
        completing = self._completing.get(key)
        if group is not None and seq in group.parts:  # sent again: the id it was answered with
            message_id = group.parts[seq].record.message_id
            answer(connection, pdu, None, part_id(message_id, seq, options.single, options.ids))
            return
        if completing is not None:  # a copy of the part being accepted: the same answer
            completing.add_done_callback(
                lambda done: self._answer_copy(connection, pdu, done.result(), seq, options)
            )
            return
        now = self.gateway.clock.time()
        if group is None:
            try:  # the addresses, route and validity, checked before anything is answered
                self.gateway.preview(account, _probe(submission))
            except GatewayError as error:
                answer(connection, pdu, error)
                return
            message_id = new_id()
        else:
            message_id = next(iter(group.parts.values())).record.message_id
        record = SubmittedPart(
            account.id,
            submission.sender,
            submission.to,
            concat.reference,
            total,
            seq,
            message_id,
            connection.context.get("system_type", ""),
            codec.encode(pdu),
            now,
        )
        held = HeldPart(record, submission, options)
        parts = {} if group is None else group.parts
        if len(parts) + 1 == total:
            self._spawn(self._complete(key, group, held, connection, pdu))
            return
        try:
            write = self.gateway.keep_parts([record])
        except GatewayError as error:
            answer(connection, pdu, error)
            return
        for old in self.gatherer.add(key, seq, total, held, now):
            self._spawn(self._expired(old))
        self._spawn(self._stored(key, held, write, connection, pdu))
        self._schedule_expiry()

    async def _stored(
        self,
        key: GroupKey,
        held: HeldPart,
        write: Awaitable[None],
        connection: SmppConnection,
        pdu: SubmitPdu,
    ) -> None:
        record = held.record
        try:
            await write
        except GatewayError as error:
            self.gatherer.withdraw(key, record.seq)
            answer(connection, pdu, error)
            return
        except Exception:
            log.exception("storing part %d of %s failed", record.seq, record.message_id)
            self.gatherer.withdraw(key, record.seq)
            answer(connection, pdu, GatewayError("internal"))
            return
        options = held.options
        answer(
            connection,
            pdu,
            None,
            part_id(record.message_id, record.seq, options.single, options.ids),
        )

    async def _complete(
        self,
        key: GroupKey,
        group: Group[HeldPart] | None,
        last: HeldPart,
        connection: SmppConnection,
        pdu: SubmitPdu,
    ) -> None:
        """The part that completes its group: the whole message accepted, the stored parts
        deleted in the same write, then the part answered."""
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._completing[key] = done
        try:
            items = sorted([*([] if group is None else group.items()), last], key=_seq)
            result = await self._accept(key, items)
        finally:
            del self._completing[key]
        if isinstance(result, Message):
            self.gatherer.finish(key)
        done.set_result(result)
        self._answer_copy(connection, pdu, result, last.record.seq, last.options)

    def _answer_copy(
        self,
        connection: SmppConnection,
        pdu: SubmitPdu,
        result: Result,
        seq: int,
        options: BindOptions,
    ) -> None:
        if isinstance(result, GatewayError):
            answer(connection, pdu, result)
        else:
            answer(connection, pdu, None, part_id(result.id, seq, options.single, options.ids))

    async def _accept(self, key: GroupKey, items: list[HeldPart]) -> Result:
        """The parts' message, accepted under the id their answers named."""
        first = items[0]
        account = await self._account(key[0])
        if account is None:
            return GatewayError("unauthorized", "the account is gone")
        taken = SubmittedPartsTaken(*key)
        try:
            command = first.submission.command(b"".join(i.submission.body for i in items))
            command.message_id = first.record.message_id
            (result,) = await self.gateway.accept(account, [command], record=lambda _: taken)
        except GatewayError as error:
            return error
        except Exception:
            log.exception("accepting message %s from its parts failed", first.record.message_id)
            return GatewayError("internal")
        return result

    async def _account(self, account_id: str) -> Account | None:
        account = self._accounts.get(account_id) or await self.gateway.queries.account(account_id)
        if account is not None:
            self._accounts[account_id] = account
        return account

    async def _expired(self, group: Group[HeldPart]) -> None:
        """A group whose parts stopped coming: accepted as the parts that came."""
        key: GroupKey = _key(group.parts[min(group.parts)].record)
        result = await self._accept(key, group.items())
        if isinstance(result, Message):
            return
        message_id = group.items()[0].record.message_id
        if result.code in _TRANSIENT:
            self.gatherer.wait_again(group, self.gateway.clock.time())
            self._schedule_expiry()
            return
        log.warning(
            "message %s, submitted in %d of %d parts, refused: %s %s",
            message_id,
            len(group.parts),
            group.total,
            result.code,
            result.detail,
        )
        # the customer holds the id already: the message is stored rejected, with its receipt
        items = group.items()
        body = b"".join(i.submission.body for i in items)
        try:
            command = items[0].submission.command(body)
        except GatewayError:  # text that does not decode: kept as the octets that came
            command = replace(items[0].submission, encoding=Encoding.BINARY).command(body)
        command.message_id = message_id
        account = await self._account(key[0])
        try:
            if account is None:
                await self.gateway.keep_parts([SubmittedPartsTaken(*key)])
            else:
                taken: list[Change] = [SubmittedPartsTaken(*key)]
                await self.gateway.reject_acknowledged(account, command, result, taken)
        except GatewayError as error:  # stopping: the parts are tried again at the next start
            log.warning("the parts of %s stay stored: %s", message_id, error.code)

    # -- groups whose parts stop coming --------------------------------------------------------

    def _schedule_expiry(self) -> None:
        deadline = self.gatherer.next_deadline()
        if deadline is None or self._timer is not None:
            return
        delay = max(0.0, deadline - self.gateway.clock.time())
        self._timer = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._timer = None
        now = self.gateway.clock.time()
        for group in self.gatherer.expire(now):
            if group.key in self._completing:  # its last part is being accepted
                self.gatherer.wait_again(group, now)
            else:
                self._spawn(self._expired(group))
        self._schedule_expiry()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _key(record: SubmittedPart) -> GroupKey:
    return (record.account_id, record.source, record.destination, record.reference, record.total)


def _seq(held: HeldPart) -> int:
    return held.record.seq


def _probe(submission: Submission) -> SendCommand:
    """The part's command with a stand-in text: what `preview` checks besides the text."""
    command = submission.command(b"")
    command.text = "00" if submission.encoding is Encoding.BINARY else "x"
    return command
