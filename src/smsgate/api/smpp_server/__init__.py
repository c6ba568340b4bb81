"""The SMPP server customers bind to (SMPP 3.3, 3.4 and 5.0, plain and TLS)."""

from smsgate.api.smpp_server.server import SmppServer, SmppServerConfig

__all__ = ["SmppServer", "SmppServerConfig"]
