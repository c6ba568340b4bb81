"""Upstream connectors: smsgate's connections to carriers. See `smsgate.connectors.smpp`."""

from smsgate.connectors.config import BindMode, ConnectorConfig, ErrorAction, RetryPolicy
from smsgate.connectors.events import ConnectorEvents, NetworkError, ReceiptInfo, receipt_info
from smsgate.connectors.part import OutboundPart, PartKey, build_submit_sm
from smsgate.connectors.queue import ConnectorStats
from smsgate.connectors.smpp import SmppConnector

__all__ = [
    "BindMode",
    "ConnectorConfig",
    "ConnectorEvents",
    "ConnectorStats",
    "ErrorAction",
    "NetworkError",
    "OutboundPart",
    "PartKey",
    "ReceiptInfo",
    "RetryPolicy",
    "SmppConnector",
    "build_submit_sm",
    "receipt_info",
]
