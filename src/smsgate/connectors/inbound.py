"""Requests a carrier sends us: receipts and MO messages, answered once the engine has them."""

import asyncio
import logging

from smsgate.connectors.events import ConnectorEvents, receipt_info
from smsgate.connectors.queue import ConnectorStats
from smsgate.smpp.constants import CommandStatus, is_receipt
from smsgate.smpp.errors import SessionError
from smsgate.smpp.pdu import AlertNotification, DataSm, DeliverSm, Request
from smsgate.transport.smpp_connection import SmppConnection

log = logging.getLogger(__name__)


class InboundHandler:
    """The request handler of a connector's connections.

    Each deliver_sm/data_sm is handed to the engine in its own task and answered when the
    engine returns: status 0 if it took the PDU, ESME_RX_T_APPN (temporary, so the carrier
    delivers it again) if it raised or did not answer within `timeout`. The tasks are bounded
    by the session's peer window: past it the session itself answers ESME_RMSGQFUL.
    """

    def __init__(
        self,
        connector_id: str,
        events: ConnectorEvents,
        stats: ConnectorStats,
        timeout: float,
    ) -> None:
        self.connector_id = connector_id
        self.events = events
        self.stats = stats
        self.timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def __call__(self, conn: SmppConnection, pdu: Request) -> None:
        if isinstance(pdu, DeliverSm | DataSm):
            task = asyncio.get_running_loop().create_task(self._deliver(conn, pdu))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif isinstance(pdu, AlertNotification):
            log.info("%s: alert_notification for %s ignored", self.connector_id, pdu.source_addr)
        elif pdu.response_class is not None:
            conn.send(pdu.response(CommandStatus.ESME_RINVCMDID))

    async def _deliver(self, conn: SmppConnection, pdu: DeliverSm | DataSm) -> None:
        status = CommandStatus.ESME_ROK
        try:
            if is_receipt(pdu.esm_class):
                await asyncio.wait_for(
                    self.events.receipt(self.connector_id, receipt_info(pdu)), self.timeout
                )
                self.stats.receipts += 1
            else:
                await asyncio.wait_for(self.events.inbound(self.connector_id, pdu), self.timeout)
                self.stats.inbound += 1
        except Exception:
            log.exception("%s: the engine did not take %s", self.connector_id, pdu.name)
            status = CommandStatus.ESME_RX_T_APPN
            self.stats.inbound_refused += 1
        if conn.is_open:
            try:
                conn.send(pdu.response(status))
            except SessionError as exc:  # the session closed meanwhile; the carrier resends
                log.info("%s: %s not answered: %s", self.connector_id, pdu.name, exc)

    async def drain(self, timeout: float) -> None:
        """Wait up to `timeout` for the engine to take what is in progress, then cancel the
        rest (left unanswered, the carrier delivers them again)."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)


__all__ = ["InboundHandler"]
