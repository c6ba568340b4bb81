"""One bind of a connector: a connection kept bound, and the sender that feeds it parts.

The supervisor task connects and binds, reconnecting with back-off whenever the link goes down.
While bound, the sender takes parts from the connector's queue as long as the window (and the
throttle governor's limit) has room, so up to a window of submit_sm are outstanding at once and a
slow carrier costs latency, not throughput. Each answer is handled in a future callback.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol

from smsgate.connectors.smpp.config import ConnectorConfig, ErrorAction
from smsgate.connectors.smpp.inbound import InboundHandler
from smsgate.connectors.smpp.pacing import Backoff, ThrottleGovernor
from smsgate.connectors.smpp.queue import ConnectorStats, Job, PartQueue
from smsgate.connectors.smpp.submit import build_submit_sm
from smsgate.engine.clock import Clock
from smsgate.smpp.constants import CommandStatus, status_name
from smsgate.smpp.errors import PduEncodeError, SessionError, WindowFullError
from smsgate.smpp.pdu import Bind, Response
from smsgate.smpp.session import SessionConfig
from smsgate.transport.smpp_connection import (
    ConnectionLostError,
    ResponseTimeoutError,
    SmppConnection,
    SmppRequestError,
    connect,
)

log = logging.getLogger(__name__)

S = CommandStatus
# Reported with `failed` when a part ran out of attempts without an answer: the carrier was
# unreachable rather than refusing (the catalog's carrier_unavailable).
NO_ANSWER_STATUS = S.ESME_RSYSERR
UNBIND_TIMEOUT = 2.0


class LinkOwner(Protocol):
    """What a link uses of its connector (SmppConnector)."""

    config: ConnectorConfig
    clock: Clock
    rng: random.Random
    stats: ConnectorStats
    queue: PartQueue
    inbound: InboundHandler
    stopping: bool
    loop: asyncio.AbstractEventLoop

    def pace_left(self) -> float: ...

    def paced(self) -> None: ...

    async def wait_stopping(self, timeout: float) -> None: ...

    def answered(self) -> None: ...

    def submitted(self, job: Job, upstream_id: str) -> None: ...

    def fail(self, job: Job, command_status: int, permanent: bool, detail: str) -> None: ...


class BindLink:
    def __init__(
        self, owner: LinkOwner, name: str, bind_class: type[Bind], transmits: bool
    ) -> None:
        config = owner.config
        self.owner = owner
        self.name = name
        self.bind_class = bind_class
        self.transmits = transmits
        self.conn: SmppConnection | None = None
        self.in_flight: dict[int, Job] = {}  # sequence number -> job
        self.sent = 0  # submit_sm sent on this bind, all connections of it together
        self.governor = ThrottleGovernor(
            config.throttle_pause_min, config.throttle_pause_max, config.window
        )
        self.session_config = SessionConfig(
            window=config.window,
            peer_window=config.inbound_window,
            response_timeout=config.response_timeout,
            enquire_link_interval=config.enquire_link_interval,
            inactivity_timeout=None,
        )
        self._room = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None

    @property
    def is_up(self) -> bool:
        conn = self.conn
        return conn is not None and conn.is_open and conn.session.is_bound

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._supervise(), name=self.name)

    # -- connection ----------------------------------------------------------------------------

    async def _supervise(self) -> None:
        owner = self.owner
        backoff = Backoff(owner.config.reconnect_min, owner.config.reconnect_max, owner.rng)
        while not owner.stopping:
            conn = await self._bind()
            if conn is None:
                await owner.wait_stopping(backoff.next_delay())
                continue
            backoff.reset()
            self.conn = conn
            if owner.stopping:
                return  # bound while stop() drains: close() unbinds it, nothing is sent
            if self.transmits:
                self._sender = asyncio.get_running_loop().create_task(self._send_loop(conn))
            try:
                # shielded: cancelling this task (stop) must not cancel the connection's future
                await asyncio.shield(conn.closed)
            finally:
                await self.stop_sending()
            self._requeue_in_flight()
            self.conn = None
            if owner.stopping:
                return
            owner.stats.links_lost += 1
            log.warning("%s: link lost, reconnecting", self.name)
            await owner.wait_stopping(backoff.next_delay())

    async def _bind(self) -> SmppConnection | None:
        config = self.owner.config
        bind = self.bind_class(
            system_id=config.system_id,
            password=config.password,
            system_type=config.system_type,
            interface_version=config.interface_version,
        )
        try:
            conn = await connect(
                config.host,
                config.port,
                bind,
                self.owner.inbound,
                self.session_config,
                ssl=config.ssl_context(),
                timeout=config.connect_timeout,
            )
        except (OSError, TimeoutError, SmppRequestError, SessionError) as exc:
            self.owner.stats.bind_failures += 1
            log.warning("%s: bind to %s:%s failed: %s", self.name, config.host, config.port, exc)
            return None
        except Exception:
            # Whatever it was, the bind must keep trying rather than die with its task.
            self.owner.stats.bind_failures += 1
            log.exception("%s: bind to %s:%s failed", self.name, config.host, config.port)
            return None
        self.owner.stats.binds += 1
        log.info("%s: bound to %s:%s", self.name, config.host, config.port)
        return conn

    async def stop_sending(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None and not sender.done():
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    async def close(self) -> None:
        """Stop the supervisor, unbind and close. In-flight parts left go back to the queue."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.stop_sending()
        conn = self.conn
        if conn is not None:
            await conn.unbind_and_close(timeout=UNBIND_TIMEOUT)
        self._requeue_in_flight()
        self.conn = None

    # -- sending -------------------------------------------------------------------------------

    async def _send_loop(self, conn: SmppConnection) -> None:
        conn.on_window_room = partial(self._send_ready, conn)
        try:
            while conn.is_open:
                blocker = self._send_ready(conn)
                if blocker is not None:
                    await blocker()
        except ConnectionLostError:
            pass  # the supervisor takes it from here
        finally:
            conn.on_window_room = None

    def _send_ready(self, conn: SmppConnection) -> Callable[[], Awaitable[object]] | None:
        """Send each part nothing holds back, now; what holds the next one back (None when
        the connection closed). The send loop calls it, and so does the connection as soon
        as a read's answers free room in the window: the loop, woken by the same read, would
        run a turn of the loop later (under load a millisecond or more of each slot's
        cycle)."""
        owner = self.owner
        while conn.is_open:
            blocker = self._blocker(conn)
            if blocker is not None:
                return blocker
            owner.paced()
            self._send(conn, owner.queue.take())
            if not conn.session.window_free:
                # the window is full: nothing more goes until an answer, so these leave now
                # rather than at the end of the turn; below the window they go together then
                conn.flush()
        return None

    def _blocker(self, conn: SmppConnection) -> Callable[[], Awaitable[object]] | None:
        """What the next part waits for (to be awaited), or None when it can go now."""
        owner = self.owner
        governor = self.governor
        pause = governor.pause_left(owner.loop.time())
        if pause > 0:
            return partial(asyncio.sleep, pause)  # the throttle pause is a duration to wait out
        if governor.limit < governor.window and len(self.in_flight) >= governor.limit:
            # throttled below the window. At the window itself the session's count decides:
            # it frees a slot as the answer is read, `in_flight` only when `_answered` runs
            return self._room_made
        if not conn.session.window_free:
            return conn.wait_for_window
        if not owner.queue:
            return owner.queue.wait
        wait = owner.pace_left()
        if wait > 0:
            return partial(asyncio.sleep, wait)  # pacing: the wait is the point
        return None

    async def _room_made(self) -> None:
        self._room.clear()
        await self._room.wait()

    def _send(self, conn: SmppConnection, job: Job) -> None:
        owner = self.owner
        pdu = job.pdu
        if pdu is None:
            pdu = job.pdu = build_submit_sm(job.part, owner.clock.time())
        pdu.sequence_number = 0  # a retry gets a fresh one
        try:
            future = conn.request(pdu)
        except PduEncodeError as exc:
            owner.fail(job, S.ESME_RSUBMITFAIL, True, f"cannot encode submit_sm: {exc}")
            return
        except WindowFullError:
            owner.queue.put_back(job)  # a keep-alive took the last slot; wait_for_window next
            return
        except SessionError as exc:
            # The session will not send a submit_sm now: the link is closing, or in a state it
            # should not be in. Either way it is reset, and the part waits for a working bind.
            owner.queue.put_back(job)
            if conn.is_open:
                log.warning("%s: cannot send (%s), resetting the link", self.name, exc)
                conn.close()
            return
        except Exception as exc:
            # A part that breaks the sender must not stop the bind, nor vanish.
            log.exception("%s: cannot send %s", self.name, job.part.key)
            owner.fail(job, S.ESME_RSUBMITFAIL, True, f"cannot send submit_sm: {exc!r}")
            return
        self.sent += 1
        if job.uncertain:
            owner.stats.resubmitted += 1
        job.sent_at = owner.loop.time()
        seq = pdu.sequence_number
        self.in_flight[seq] = job
        future.add_done_callback(partial(self._answered, seq))

    # -- answers -------------------------------------------------------------------------------

    def _answered(self, seq: int, future: "asyncio.Future[Response]") -> None:
        job = self.in_flight.pop(seq, None)
        if job is None:
            return  # already re-queued when the link closed
        self._room.set()
        if future.cancelled():
            self._lost(job)
        elif (error := future.exception()) is not None:
            if isinstance(error, ResponseTimeoutError):
                self._timed_out(job)
            else:
                self._lost(job)
        else:
            self._response(job, future.result())
        self.owner.answered()

    def _response(self, job: Job, response: Response) -> None:
        owner = self.owner
        status = response.command_status
        if status == 0:
            self.governor.succeeded(job.sent_at)
            owner.stats.submitted += 1
            owner.submitted(job, getattr(response, "message_id", ""))
            return
        action = owner.config.retry.action(status)
        name = status_name(status)
        if action is ErrorAction.THROTTLE:
            owner.stats.throttled += 1
            job.throttled += 1
            self.governor.throttled(job.sent_at, owner.loop.time())
            if job.throttled >= owner.config.max_throttled:
                owner.fail(job, status, False, f"{name} {job.throttled} times")
            else:
                owner.queue.put_back(job)
        elif action is ErrorAction.RETRY:
            job.attempts += 1
            self._retry(job, status, name)
        else:
            job.attempts += 1
            owner.fail(job, status, True, name)

    def _timed_out(self, job: Job) -> None:
        self.owner.stats.timeouts += 1
        job.uncertain = True  # the carrier may have taken it and answered too late
        job.attempts += 1
        self._retry(job, NO_ANSWER_STATUS, "no submit_sm_resp in time")

    def _lost(self, job: Job) -> None:
        owner = self.owner
        owner.stats.requeued_on_loss += 1
        job.uncertain = True
        if owner.stopping:
            owner.queue.put_back(job)  # handed back by stop(), not counted against the part
            return
        # A lost link counts as an attempt so that a part that kills links cannot loop forever.
        job.attempts += 1
        self._retry(job, NO_ANSWER_STATUS, "link lost before submit_sm_resp")

    def _retry(self, job: Job, status: int, reason: str) -> None:
        owner = self.owner
        if job.attempts >= owner.config.max_attempts:
            owner.fail(job, status, False, f"{reason}; gave up after {job.attempts} attempts")
        else:
            owner.stats.retried += 1
            owner.queue.put_back(job)

    def _requeue_in_flight(self) -> None:
        jobs = list(self.in_flight.values())
        self.in_flight.clear()
        for job in jobs:
            self._lost(job)
        if jobs:
            self.owner.answered()


__all__ = ["BindLink"]
