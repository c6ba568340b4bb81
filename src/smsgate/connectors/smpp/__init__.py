"""The upstream SMPP connector: smsgate's binds to a carrier's SMSC. See `connector`."""

from smsgate.connectors.smpp.config import BindMode, ConnectorConfig, ErrorAction, RetryPolicy
from smsgate.connectors.smpp.connector import SmppConnector
from smsgate.connectors.smpp.queue import ConnectorStats
from smsgate.connectors.smpp.receipts import (
    NetworkError,
    ReceiptInfo,
    delivery_report,
    receipt_info,
)
from smsgate.connectors.smpp.submit import build_submit_sm

__all__ = [
    "BindMode",
    "ConnectorConfig",
    "ConnectorStats",
    "ErrorAction",
    "NetworkError",
    "ReceiptInfo",
    "RetryPolicy",
    "SmppConnector",
    "build_submit_sm",
    "delivery_report",
    "receipt_info",
]
