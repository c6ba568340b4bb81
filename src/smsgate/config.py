"""smsgate's configuration: a TOML file, then environment overrides, then defaults.

The environment names are a stable interface for operators' automation: SMSGATE_DB (a SQLite
path or a postgresql:// DSN), SMSGATE_HTTP_PORT, SMSGATE_SMPP_PORT, SMSGATE_SMPP_TLS_PORT,
SMSGATE_SIMULATOR=1 (start the built-in simulated carrier and route everything to it).
"""

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

from smsgate.api.smtp.config import EmailIngressConfig
from smsgate.callbacks.channel import CallbackConfig
from smsgate.domain.credentials import SMPP_MAX_PASSWORD
from smsgate.engine.config import EngineConfig


class ConfigError(ValueError):
    pass


@dataclass
class Config:
    db: str = "var/smsgate.db"  # a SQLite file, or a postgresql:// DSN
    # what an acknowledged message survives: "disk", a power loss (every commit is on disk
    # before its answer: SQLite synchronous=FULL, PostgreSQL synchronous_commit on); "process",
    # a kill of the gateway's process, not of the machine (SQLite synchronous=NORMAL in WAL
    # mode; PostgreSQL synchronous_commit off, which a crash of the database server can also
    # undo for its last ~0.6 s). Either way the database stays consistent (docs/durability.md)
    durability: str = "disk"
    # the SQLite file's largest size in bytes (PRAGMA max_page_count): past it writes are
    # refused (HTTP 503 queue_full, SMPP ESME_RMSGQFUL) and nothing is lost; None: no limit
    sqlite_max_bytes: int | None = None
    http_host: str = "127.0.0.1"  # the address the HTTP APIs listen on
    http_port: int = 8080  # 0: any free port
    # HTTP limits against hostile or broken clients (docs/security.md)
    http_max_connections: int = 512  # open HTTP connections; past it a new one gets 503, closed
    http_max_header_bytes: int = 32768  # a request's line and headers; past it: 431, closed
    # seconds from connecting, or from a request's first byte, to its last header; then closed
    http_header_timeout: float = 10.0
    http_keepalive_timeout: float = 5.0  # seconds an idle connection stays open between requests
    # addresses or networks (space- or comma-separated) whose X-Forwarded-For (and
    # X-Forwarded-Proto) is believed; empty: none, every address check uses the connection's
    # own peer
    http_trusted_proxies: str = ""
    # wrong credentials from one address within http_auth_window before it is refused (429)
    http_auth_failures: int = 10
    # seconds; an address blocked again is blocked twice as long as before, up to an hour
    http_auth_window: float = 60.0
    # addresses or networks that may read /metrics without a token; empty: none
    metrics_allow: str = "127.0.0.1 ::1"
    metrics_token: str | None = None  # a bearer token that opens /metrics from any address
    smpp_host: str = "127.0.0.1"  # the address the SMPP server listens on (both ports)
    smpp_port: int | None = 2775  # the SMPP server for customers; None: off, 0: any free port
    smpp_tls_port: int | None = None  # SMPP over TLS; the embedded set-up uses 2776
    smpp_tls_cert: str | None = None  # PEM files; without them a self-signed pair in var/
    smpp_tls_key: str | None = None  # the private key of smpp_tls_cert (PEM)
    smpp_inactivity_timeout: float = 120.0  # seconds without a PDU before a session is closed
    # a client's unanswered requests before ESME_RMSGQFUL: SMSC.ru tells its customers to use
    # 1,000-2,000 for bulk; each costs a few KB only until its message is committed
    smpp_window: int = 2000
    smpp_concat_wait: float = 10.0  # seconds the parts of a message wait for each other
    # message ids on the SMPP server: "decimal" (as SMSC.ru's) or "hex" (as stored)
    smpp_message_ids: str = "decimal"
    # what one SMPP client may cost (docs/security.md)
    smpp_max_connections_per_address: int = 32  # open SMPP connections from one IP address
    smpp_max_unbound_connections: int = 256  # SMPP connections not bound yet, server-wide
    smpp_bind_timeout: float = 10.0  # seconds a new SMPP connection has to bind (or TLS handshake)
    # requests per second on one bound SMPP connection; past it ESME_RTHROTTLED (a bind of the
    # SMPP benchmark sends about 7,000/s)
    smpp_pdu_rate: float = 20000.0
    smpp_unbound_pdu_rate: float = 10.0  # requests per second before a bind (binds, enquire_link)
    # throttled requests within 10 seconds that disconnect a client ignoring ESME_RTHROTTLED
    smpp_flood_close: int = 10000
    # bytes of replies and deliver_sm a client has not read before its connection stops reading
    # from it (above a full window of receipts: a client that reads late is not cut off)
    smpp_write_buffer_high: int = 1024 * 1024
    smpp_write_buffer_low: int = 256 * 1024  # ... and below which it reads again
    smpp_bind_login_failures: int = 5  # failed binds naming one system_id before a lockout
    smpp_bind_address_failures: int = 20  # failed binds from one IP address before a lockout
    # seconds of the first bind lockout; each failure after one doubles it
    smpp_bind_lockout: float = 60.0
    # the longest bind lockout, in seconds; failures are forgotten after this long without one
    smpp_bind_lockout_max: float = 3600.0
    simulator: bool = False  # run the simulated carrier and route every message to it
    simulator_port: int = 0  # 0: any free port (the gateway connects to it itself)
    simulator_receipt_delay: float = 0.2  # seconds before the simulator sends a receipt
    simulator_latency: float = 0.0  # seconds before each submit_sm_resp
    # with the simulator: the other channels' simulated platforms too (RCS, HLR, voice, Viber,
    # Telegram, social, an SMTP relay), each with a connector
    simulator_channels: bool = True
    demo_account: bool = False  # create the demo account and print its credentials
    # fewest characters of an API key an operator supplies (`account create --api-key`);
    # generated keys have 46
    api_key_min_length: int = 24
    # fewest characters of an SMPP password an operator supplies (1 to SMPP's 8)
    smpp_password_min_length: int = 6
    drain_timeout: float = 10.0  # seconds a stop waits for work under way to finish
    # this node's name among the nodes sharing one PostgreSQL (docs/cluster.md); empty: the
    # host, the process id and a few random characters
    node_id: str = ""
    # seconds a node's heartbeat and its bind leases last unless renewed (every third of it);
    # a dead node's binds and messages are taken over within about 1.3 times it
    lease_ttl: float = 10.0
    # seconds a stopping node answers "not ready" on /readyz before it stops taking requests,
    # when another node is ready to take them
    drain_grace: float = 2.0
    engine: EngineConfig = field(default_factory=EngineConfig)
    # [callbacks]: timeout, retry schedule, per-receiver limits, deny_networks (omitted: the
    # private ranges, or none in the embedded demo, which runs with the simulator)
    callbacks: CallbackConfig = field(default_factory=CallbackConfig)
    # [email_ingress]: sending by e-mail, SMSC.ru-style commands to an SMTP server of
    # smsgate's (enabled, host, port, max_message_bytes, ...; docs/channels.md)
    email_ingress: EmailIngressConfig = field(default_factory=EmailIngressConfig)
    # [[connectors]] tables: id, host, port, system_id, password, ... (smsgate.connectors)
    connectors: list[dict[str, Any]] = field(default_factory=list)
    # [[routes]] tables: id, and the route spec (match, connectors, mode)
    routes: list[dict[str, Any]] = field(default_factory=list)
    # [[prices]] tables: per_segment, currency, and optional route, country, carrier
    # (smsgate.domain.pricing); given, they replace the stored price list
    prices: list[dict[str, Any]] = field(default_factory=list)


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


_MESSAGE_IDS = ("decimal", "hex")
DURABILITY = ("disk", "process")  # what an acknowledged message survives (Config.durability)

_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {
    "SMSGATE_DB": ("db", str),
    "SMSGATE_DURABILITY": ("durability", str),
    "SMSGATE_HTTP_PORT": ("http_port", int),
    "SMSGATE_HTTP_HOST": ("http_host", str),
    "SMSGATE_SMPP_PORT": ("smpp_port", int),
    "SMSGATE_SMPP_TLS_PORT": ("smpp_tls_port", int),
    "SMSGATE_SIMULATOR": ("simulator", _flag),
    "SMSGATE_NODE_ID": ("node_id", str),
}


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    config = Config()
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        _apply(config, data, str(path))
        if config.smpp_message_ids not in _MESSAGE_IDS:
            raise ConfigError(f"{path}: smpp_message_ids is 'decimal' or 'hex'")
        if not 1 <= config.smpp_password_min_length <= SMPP_MAX_PASSWORD:
            raise ConfigError(f"{path}: smpp_password_min_length is 1 to {SMPP_MAX_PASSWORD}")
        if config.api_key_min_length < 1:
            raise ConfigError(f"{path}: api_key_min_length is at least 1")
        if config.durability not in DURABILITY:
            raise ConfigError(f"{path}: durability is 'disk' or 'process'")
        if config.sqlite_max_bytes is not None and config.sqlite_max_bytes < 65536:
            raise ConfigError(f"{path}: sqlite_max_bytes is at least 65536")
        if config.lease_ttl < 1.0:
            raise ConfigError(f"{path}: lease_ttl is at least 1 second")
        if config.drain_grace < 0:
            raise ConfigError(f"{path}: drain_grace is not negative")
    for name, (attr, convert) in _ENV.items():
        if name in env:
            try:
                setattr(config, attr, convert(env[name]))
            except ValueError:
                raise ConfigError(f"{name}={env[name]!r} is not valid") from None
    if config.node_id.startswith(">") or len(config.node_id) > 200:
        # '>' marks a node's inbox of handed-over messages in the store
        raise ConfigError(f"node_id {config.node_id!r}: at most 200 characters, not starting '>'")
    return config


# national numbers (090-1234-5678) in the embedded set-up are Japan's, whose carriers the
# built-in carrier table holds
EMBEDDED_COUNTRY: Final = "JP"


def embedded(config: Config, env: Mapping[str, str] | None = None) -> Config:
    """`config` made the embedded set-up (`smsgate serve` without a file): a demo account, the
    simulated carrier and SMPP over TLS on 2776 unless the environment says otherwise, and a
    default country."""
    env = os.environ if env is None else env
    config.demo_account = True
    if config.smpp_tls_port is None and "SMSGATE_SMPP_TLS_PORT" not in env:
        config.smpp_tls_port = 2776
    if "SMSGATE_SIMULATOR" not in env:
        config.simulator = True
    if config.engine.default_country is None:
        config.engine.default_country = EMBEDDED_COUNTRY
    return config


def _apply(config: Config, data: dict[str, Any], where: str) -> None:
    known = {f.name for f in fields(Config)}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        if key == "email_ingress":
            try:
                config.email_ingress = replace(config.email_ingress, **value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{where}: email_ingress: {exc}") from None
        elif key in ("engine", "callbacks"):
            section = getattr(config, key)
            section_known = {f.name for f in fields(section)}
            for name, item in value.items():
                if name not in section_known:
                    raise ConfigError(f"{where}: unknown setting {key}.{name}")
                setattr(section, name, item)
        else:
            setattr(config, key, value)
