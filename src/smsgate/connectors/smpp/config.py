"""Configuration of an upstream SMPP connector: where to bind, how many binds, and what to do with
each error a carrier may answer."""

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Final

from smsgate.smpp.constants import CommandStatus, InterfaceVersion

S = CommandStatus


class BindMode(Enum):
    TRX = "trx"  # one transceiver connection per bind: submits out, receipts and MO in
    TX_RX = "tx+rx"  # a transmitter and a receiver connection per bind
    TX = "tx"  # transmitters only; receipts come through another connector or not at all
    RX = "rx"  # receivers only; the connector takes no parts

    @property
    def transmits(self) -> bool:
        return self is not BindMode.RX


class ErrorAction(Enum):
    """What a non-zero command_status in submit_sm_resp means for the part."""

    THROTTLE = "throttle"  # the carrier is overloaded: slow the bind down and retry the part
    RETRY = "retry"  # temporary: retry, counting the attempt
    PERMANENT = "permanent"  # the part can never succeed on this carrier: fail it


# Statuses that say "not now" rather than "never". Everything else is permanent by default:
# retrying a bad address or a refused sender only repeats the refusal.
DEFAULT_ERROR_ACTIONS: Final[Mapping[int, ErrorAction]] = MappingProxyType(
    {
        S.ESME_RTHROTTLED: ErrorAction.THROTTLE,
        S.ESME_RMSGQFUL: ErrorAction.THROTTLE,
        S.ESME_RSYSERR: ErrorAction.RETRY,
        S.ESME_RX_T_APPN: ErrorAction.RETRY,  # "temporary application error" by definition
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """The per-error retry table. `actions` overrides or extends the defaults; statuses in
    neither get `default`. Response timeouts and lost links are always retried (bounded by
    max_attempts) because the part itself is not at fault."""

    actions: Mapping[int, ErrorAction] = field(default_factory=dict)
    default: ErrorAction = ErrorAction.PERMANENT

    def action(self, command_status: int) -> ErrorAction:
        found = self.actions.get(command_status)
        if found is None:
            found = DEFAULT_ERROR_ACTIONS.get(command_status, self.default)
        return found


@dataclass(frozen=True)
class ConnectorConfig:
    id: str
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind_mode: BindMode = BindMode.TRX
    binds: int = 1  # binds per connector; each is one connection (two for tx+rx)
    window: int = 100  # outstanding submit_sm per bind
    # ssl.SSLContext, or True for the default context (verifying the carrier's certificate)
    tls: ssl.SSLContext | bool = False
    interface_version: int = InterfaceVersion.V34
    enquire_link_interval: float | None = 30.0
    response_timeout: float = 30.0
    connect_timeout: float = 10.0
    reconnect_min: float = 1.0  # back-off after a failed bind or a lost link, in seconds
    reconnect_max: float = 60.0
    throttle_pause_min: float = 0.1  # a throttled bind pauses this long at first
    throttle_pause_max: float = 5.0  # and at most this long when throttling persists
    max_tps: float | None = None  # submits per second across all binds of the connector
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_attempts: int = 5  # sends of one part answered other than "throttled"
    max_throttled: int = 1000  # throttled answers one part may get before it fails
    queue_size: int = 10_000  # parts waiting for a bind; submit() refuses beyond
    inbound_window: int = 100  # the carrier's unanswered deliver_sm before ESME_RMSGQFUL
    inbound_timeout: float = 30.0  # for the engine to take a receipt or MO before we refuse it
    # receipts whose id is in the other base than submit_sm_resp's (hex and decimal) match too
    receipt_id_conversion: bool = False
    # seconds after a message's validity ends before its parts still waiting for a receipt
    # from this connector end `expired` (the carrier gave up by then); None: wait for ever
    receipt_timeout: float | None = 3600.0

    def __post_init__(self) -> None:
        if self.binds < 1 or self.window < 1 or self.queue_size < 1 or self.max_attempts < 1:
            raise ValueError("binds, window, queue_size and max_attempts must be at least 1")
        if not 0 < self.reconnect_min <= self.reconnect_max:
            raise ValueError("need 0 < reconnect_min <= reconnect_max")
        if not 0 < self.throttle_pause_min <= self.throttle_pause_max:
            raise ValueError("need 0 < throttle_pause_min <= throttle_pause_max")
        if self.max_tps is not None and self.max_tps <= 0:
            raise ValueError("max_tps must be positive")
        if self.receipt_timeout is not None and self.receipt_timeout < 0:
            raise ValueError("receipt_timeout must not be negative")

    def ssl_context(self) -> ssl.SSLContext | None:
        if isinstance(self.tls, ssl.SSLContext):
            return self.tls
        return ssl.create_default_context() if self.tls else None


__all__ = [
    "DEFAULT_ERROR_ACTIONS",
    "BindMode",
    "ConnectorConfig",
    "ErrorAction",
    "RetryPolicy",
]
