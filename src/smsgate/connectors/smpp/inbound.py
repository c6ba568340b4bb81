"""Requests a carrier sends us: receipts and MO messages, translated into the engine's reports
and answered once the engine has them."""

import asyncio
import logging
from functools import partial

from smsgate.connectors.smpp.queue import ConnectorStats
from smsgate.connectors.smpp.receipts import delivery_report, receipt_info
from smsgate.engine.ports import ConnectorEvents, InboundPart
from smsgate.smpp.constants import CommandStatus, is_receipt
from smsgate.smpp.errors import SessionError
from smsgate.smpp.pdu import AlertNotification, DataSm, DeliverSm, Request
from smsgate.smpp.user_data import UserDataError, raw_user_data, user_data
from smsgate.store.errors import StoreError
from smsgate.transport.smpp_connection import SmppConnection

log = logging.getLogger(__name__)


class InboundHandler:
    """The request handler of a connector's connections.

    Each deliver_sm/data_sm is handed to the engine and answered when what the engine returned
    is done: status 0 if it took the PDU, ESME_RX_T_APPN (temporary, so the carrier delivers
    it again) if it raised or did not finish within `timeout`. What is in progress is bounded
    by the session's peer window: past it the session itself answers ESME_RMSGQFUL.
    """

    def __init__(
        self,
        connector_id: str,
        events: ConnectorEvents,
        stats: ConnectorStats,
        timeout: float,
        convert_ids: bool = False,
    ) -> None:
        self.connector_id = connector_id
        self.events = events
        self.stats = stats
        self.timeout = timeout
        self.convert_ids = convert_ids  # receipts' ids also read in the other base
        self._pending: set[asyncio.Future[None]] = set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def __call__(self, conn: SmppConnection, pdu: Request) -> None:
        if isinstance(pdu, DeliverSm | DataSm):
            # After the callbacks already scheduled: those of submit_sm_resps read in the same
            # chunk come first, so a receipt right behind its resp finds its part in memory.
            conn.loop.call_soon(self._take, conn, pdu)
        elif isinstance(pdu, AlertNotification):
            log.info("%s: alert_notification for %s ignored", self.connector_id, pdu.source_addr)
        elif pdu.response_class is not None:
            conn.send(pdu.response(CommandStatus.ESME_RINVCMDID))

    def _take(self, conn: SmppConnection, pdu: DeliverSm | DataSm) -> None:
        receipt = is_receipt(pdu.esm_class)
        try:
            if receipt:
                report = delivery_report(receipt_info(pdu), self.convert_ids)
                work = self.events.receipt(self.connector_id, report)
            else:
                work = self.events.inbound(self.connector_id, self._inbound_part(pdu))
            future = asyncio.ensure_future(work)
        except Exception:
            log.exception("%s: the engine did not take %s", self.connector_id, pdu.name)
            self._answer(conn, pdu, CommandStatus.ESME_RX_T_APPN)
            self.stats.inbound_refused += 1
            return
        self._pending.add(future)
        timer = asyncio.get_running_loop().call_later(self.timeout, future.cancel)
        future.add_done_callback(partial(self._done, conn, pdu, receipt, timer))

    def _inbound_part(self, pdu: DeliverSm | DataSm) -> InboundPart:
        try:
            body, concat, _ = user_data(pdu)
        except UserDataError as error:  # kept as it came rather than refused
            log.info("%s: MO user data not read (%s); stored whole", self.connector_id, error)
            body, concat = raw_user_data(pdu), None
        return InboundPart(pdu.source_addr, pdu.destination_addr, pdu.data_coding, body, concat)

    def _done(
        self,
        conn: SmppConnection,
        pdu: DeliverSm | DataSm,
        receipt: bool,
        timer: asyncio.TimerHandle,
        future: "asyncio.Future[None]",
    ) -> None:
        self._pending.discard(future)
        timer.cancel()
        if future.cancelled():
            log.warning("%s: the engine did not take %s in time", self.connector_id, pdu.name)
        elif isinstance(error := future.exception(), StoreError):
            # the store is away, full or fenced off: the carrier sends the PDU again later
            log.warning("%s: the engine did not take %s: %s", self.connector_id, pdu.name, error)
        elif error is not None:
            log.error(
                "%s: the engine did not take %s",
                self.connector_id,
                pdu.name,
                exc_info=(type(error), error, error.__traceback__),
            )
        else:
            if receipt:
                self.stats.receipts += 1
            else:
                self.stats.inbound += 1
            self._answer(conn, pdu, CommandStatus.ESME_ROK)
            return
        self.stats.inbound_refused += 1
        self._answer(conn, pdu, CommandStatus.ESME_RX_T_APPN)

    def _answer(self, conn: SmppConnection, pdu: DeliverSm | DataSm, status: int) -> None:
        if conn.is_open:
            try:
                conn.send(pdu.response(status))
            except SessionError as exc:  # the session closed meanwhile; the carrier resends
                log.info("%s: %s not answered: %s", self.connector_id, pdu.name, exc)

    async def drain(self, timeout: float) -> None:
        """Wait up to `timeout` for the engine to take what is in progress, then cancel the
        rest (left unanswered, the carrier delivers them again)."""
        if self._pending:
            _, pending = await asyncio.wait(set(self._pending), timeout=timeout)
            for future in pending:
                future.cancel()
            if pending:
                await asyncio.wait(pending)


__all__ = ["InboundHandler"]
