"""The SMPP server customers bind to: plain and TLS listeners, one SmppConnection per client.

The connection shell answers enquire_link, unbind, protocol errors (generic_nack, wrong bind
state, a full window: ESME_RMSGQFUL) and closes idle sessions; this module answers binds and
the message operations. What a client may cost is bounded (docs/security.md): each
connection by its `ConnectionLimits`, new connections by `ConnectionAdmission`, password
guessing by the `BindGuard`.
"""

import asyncio
import logging
import ssl
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from smsgate.api.smpp_server.admission import (
    AdmissionLimits,
    ConnectionAdmission,
    peer_address,
)
from smsgate.api.smpp_server.auth import (
    UNAUTHORIZED,
    BindRefusedError,
    authenticate,
    bind_response,
)
from smsgate.api.smpp_server.bind_limits import BindGuard, BindLimits
from smsgate.api.smpp_server.binds import BindRegistry
from smsgate.api.smpp_server.channel import SMPP_RETRY
from smsgate.api.smpp_server.ids import IdFormat, split_id
from smsgate.api.smpp_server.options import (
    BindOptions,
    SystemTypeError,
    data_coding_0,
    parse_system_type,
)
from smsgate.api.smpp_server.receipts import message_state, query_error
from smsgate.api.smpp_server.submit import SubmitIntake
from smsgate.api.smpp_server.translate import read_replacement
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.status import FINAL
from smsgate.engine.gateway import Gateway
from smsgate.log_limits import LogLimiter
from smsgate.outbox import OutboxConsumer, RetryPolicy
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import (
    Bind,
    CancelSm,
    DataSm,
    QuerySm,
    ReplaceSm,
    Request,
    SubmitMulti,
    SubmitSm,
)
from smsgate.smpp.session import Role, SessionConfig
from smsgate.smpp.smpp_time import format_smpp_time
from smsgate.transport.connection_limits import ConnectionLimits
from smsgate.transport.smpp_connection import SmppConnection

log = logging.getLogger(__name__)
S = CommandStatus


@dataclass
class SmppServerConfig:
    host: str = "127.0.0.1"
    port: int | None = 2775  # None: no plain listener; 0: any free port
    tls_port: int | None = None
    tls: ssl.SSLContext | None = None
    system_id: str = "smsgate"  # what bind_resp names us
    inactivity_timeout: float = 120.0
    window: int = 2000  # the client's unanswered requests before ESME_RMSGQFUL
    concat_wait: float = 10.0  # seconds the parts of a message wait for each other
    outbox_retry: RetryPolicy = SMPP_RETRY  # refused deliver_sm (docs/outbox.md)
    message_ids: IdFormat = IdFormat.DECIMAL  # how customers see message ids (ids.py)
    # what one client may cost (docs/security.md); the defaults here are unlimited, the
    # configuration's (config.py) are what a public gateway runs with
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    admission: AdmissionLimits = field(default_factory=AdmissionLimits)
    bind_limits: BindLimits = field(default_factory=BindLimits)
    session: SessionConfig = field(init=False)

    def __post_init__(self) -> None:
        self.session = SessionConfig(
            window=self.window,
            peer_window=self.window,
            enquire_link_interval=None,  # the client keeps the link alive; we time it out
            inactivity_timeout=self.inactivity_timeout,
        )


class SmppServer:
    def __init__(
        self,
        gateway: Gateway,
        binds: BindRegistry,
        delivery: OutboxConsumer,
        config: SmppServerConfig,
    ) -> None:
        """`delivery` is the outbox consumer of the smpp channel over `binds` (the engine
        wakes it); the server starts and stops it with itself."""
        self.gateway = gateway
        self.config = config
        self.binds = binds
        self.delivery = delivery
        self.intake = SubmitIntake(gateway, config.concat_wait, self.bind_options)
        self.servers: list[asyncio.Server] = []
        self.port: int | None = None
        self.tls_port: int | None = None
        self._connections: set[SmppConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        # refused connections and binds: a count per interval, whatever a client sends
        self.refusals = LogLimiter(log, "smpp server")
        self.admission = ConnectionAdmission(config.admission, self.refusals)
        self.bind_guard = BindGuard(config.bind_limits)

    # -- life cycle ----------------------------------------------------------------------------

    async def restore(self) -> None:
        """Put back the parts of messages submitted in several PDUs that were stored before a
        restart (before the engine starts, so that a part sent next finds its group)."""
        await self.intake.multipart.start()

    async def start(self) -> None:
        config = self.config
        if config.port is not None:
            server = await self._listen(config.port, None)
            self.port = server.sockets[0].getsockname()[1]
        if config.tls_port is not None:
            if config.tls is None:
                raise ValueError("a TLS port needs a TLS context")
            server = await self._listen(config.tls_port, config.tls)
            self.tls_port = server.sockets[0].getsockname()[1]
        await self.delivery.start()

    async def _listen(self, port: int, tls: ssl.SSLContext | None) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SmppConnection(
                Role.SMSC,
                self._handle,
                self.config.session,
                on_open=self._opened,
                on_close=self._closed,
                limits=self.config.limits,
            ),
            self.config.host,
            port,
            ssl=tls,
            # a TLS handshake that never ends is an unbound connection too
            ssl_handshake_timeout=self.config.limits.bind_timeout if tls is not None else None,
        )
        self.servers.append(server)
        return server

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop listening, unbind every client, answer what was accepted."""
        for server in self.servers:
            server.close()
        await self.intake.drain()
        await self.delivery.stop()
        await asyncio.gather(
            *(c.unbind_and_close(timeout) for c in list(self._connections)),
            return_exceptions=True,
        )
        for server in self.servers:
            await server.wait_closed()

    # -- requests ------------------------------------------------------------------------------

    def _handle(self, connection: SmppConnection, pdu: Request) -> None:
        self._connections.add(connection)
        if isinstance(pdu, Bind):
            self._spawn(self._bind(connection, pdu))
        elif isinstance(pdu, SubmitSm | DataSm | SubmitMulti):
            self.intake.submit(connection, pdu)
        elif isinstance(pdu, QuerySm):
            self._spawn(self._query(connection, pdu))
        elif isinstance(pdu, CancelSm):
            self._spawn(self._cancel(connection, pdu))
        elif isinstance(pdu, ReplaceSm):
            self._spawn(self._replace(connection, pdu))
        else:
            connection.send(pdu.response(S.ESME_RINVCMDID))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bind(self, connection: SmppConnection, pdu: Bind) -> None:
        address = peer_address(connection.peername)
        if connection.context.get("binding"):
            # one password check at a time per connection: a pipeline of binds cannot run
            # many checks before the first failure counts
            self._refuse_bind(connection, pdu, UNAUTHORIZED, "a bind is already being checked")
            return
        locked = self.bind_guard.locked(address, pdu.system_id)
        if locked is not None:
            self._refuse_bind(connection, pdu, UNAUTHORIZED, f"{pdu.system_id!r}: {locked}")
            return
        connection.context["binding"] = True
        try:
            account = await authenticate(self.gateway.queries, pdu, address)
            options = self._options(pdu, account)
        except BindRefusedError as refused:
            if refused.credentials:
                self.bind_guard.failed(address, pdu.system_id)
            self._refuse_bind(connection, pdu, refused.status, str(refused))
            return
        finally:
            connection.context["binding"] = False
        self.bind_guard.succeeded(pdu.system_id)
        if not connection.is_open:
            return
        self.admission.bound(id(connection))
        connection.context.update(
            account=account, options=options, system_type=pdu.system_type, bind_type=type(pdu)
        )
        connection.send(bind_response(pdu, self.config.system_id))
        for old in self.binds.admit(account.id, connection, options):
            log.info("%s: replaced by a new bind of %s", old.peername, pdu.system_id)
            self._spawn(old.unbind_and_close())
        self.delivery.wake()

    def _refuse_bind(self, connection: SmppConnection, pdu: Bind, status: int, why: str) -> None:
        self.refusals.note(f"binds refused from {peer_address(connection.peername)}", why)
        if connection.is_open:
            connection.send(pdu.response(status))

    def _opened(self, connection: SmppConnection) -> bool:
        return self.admission.admit(id(connection), connection.peername)

    def _options(self, pdu: Bind, account: Account) -> BindOptions:
        """The bind's options; BindRefusedError (ESME_RINVSYSTYP) for an option out of its
        range."""
        try:
            return self.bind_options(pdu.system_type, account)
        except SystemTypeError as error:
            raise BindRefusedError(S.ESME_RINVSYSTYP, str(error)) from None

    def bind_options(self, system_type: str, account: Account) -> BindOptions:
        """A bind's options: its system_type's, the account's data_coding 0 and the server's
        id format (also for parts stored before a restart, read again with them)."""
        return replace(
            parse_system_type(system_type),
            data_coding_0=data_coding_0(account.data_coding_0),
            ids=self.config.message_ids,
        )

    def _closed(self, connection: SmppConnection) -> None:
        self._connections.discard(connection)
        self.admission.closed(id(connection), connection.peername)
        account = connection.context.get("account")
        if account is not None:
            self.binds.remove(account.id, connection)

    async def _cancel(self, connection: SmppConnection, pdu: CancelSm) -> None:
        """cancel_sm by message_id (a SINGLE part id cancels its whole message); canceling by
        service_type and addresses alone is not offered."""
        account = connection.context["account"]
        message_id, _ = split_id(pdu.message_id)
        status = 0
        if not message_id:
            status = S.ESME_RCANCELFAIL
        else:
            try:
                await self.gateway.cancel(account, message_id)
            except GatewayError as error:
                status = error.smpp_status
        if connection.is_open:
            connection.send(pdu.response(status))

    async def _replace(self, connection: SmppConnection, pdu: ReplaceSm) -> None:
        """replace_sm by message_id (a SINGLE part id replaces its whole message); its
        source_addr is not compared, the id already names one of the account's messages."""
        account = connection.context["account"]
        message_id, _ = split_id(pdu.message_id)
        status = 0
        try:
            if not message_id:
                raise GatewayError("not_found")
            message = await self.gateway.queries.message(account.id, message_id)
            now = self.gateway.clock.time()
            command = read_replacement(pdu, connection.context["options"], message, now)
            await self.gateway.replace(account, message_id, command)
        except GatewayError as error:
            # "not_cancelable" is the catalog's "already at the carrier", for replace too
            already = error.code == "not_cancelable"
            status = S.ESME_RREPLACEFAIL if already else error.smpp_status
        except Exception:  # the store failed: the client is answered all the same
            log.exception("%s: replace_sm of %s failed", connection.peername, message_id)
            status = S.ESME_RSYSERR
        if connection.is_open:
            connection.send(pdu.response(status))

    async def _query(self, connection: SmppConnection, pdu: QuerySm) -> None:
        account = connection.context["account"]
        message_id, seq = split_id(pdu.message_id)
        try:
            message = await self.gateway.queries.message(account.id, message_id)
            status, error = message.status, query_error(message.error_code, message.error_detail)
            if seq is not None:
                # the customer's part n is the message's part n (the last one if it was cut
                # into fewer parts than the customer's)
                if seq < 1:
                    raise GatewayError("not_found")
                part = message.parts[min(seq, len(message.parts)) - 1]
                status, error = part.status, query_error(part.error_code, part.error_detail)
        except GatewayError as error:
            if connection.is_open:
                connection.send(pdu.response(error.smpp_status))
            return
        final = format_smpp_time(datetime.fromtimestamp(message.updated_at, UTC))
        if connection.is_open:
            connection.send(
                pdu.response(
                    0,
                    message_id=pdu.message_id,
                    final_date=final if status in FINAL else "",
                    message_state=message_state(status),
                    error_code=error if status in FINAL else 0,
                )
            )
