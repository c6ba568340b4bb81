"""Composition root: reads the configuration, wires store, carriers, engine and interfaces, starts
them in order and stops them in reverse, draining in-flight work within a bounded time."""

import asyncio
import json
import logging
import os
import secrets
import signal
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from smsgate.api.http import dialects
from smsgate.api.http.app import create_app
from smsgate.api.http.metrics import EmailFigures, render_metrics
from smsgate.api.http.server import HttpServer
from smsgate.api.http.settings import HttpSettings
from smsgate.api.smpp_server import SmppServer, SmppServerConfig
from smsgate.api.smpp_server.admission import AdmissionLimits
from smsgate.api.smpp_server.bind_limits import BindLimits
from smsgate.api.smpp_server.binds import BindRegistry
from smsgate.api.smpp_server.channel import smpp_consumer
from smsgate.api.smpp_server.ids import IdFormat
from smsgate.api.smpp_server.tls import self_signed, server_context
from smsgate.api.smtp.server import EmailIngress
from smsgate.api.smtp.wiring import Logins, relay_sender
from smsgate.callbacks.channel import HttpChannel, callback_consumer, deny_list
from smsgate.config import Config, ConfigError
from smsgate.connectors import kinds
from smsgate.connectors.email import EmailConnector
from smsgate.connectors.email.bounces import BounceIntake
from smsgate.connectors.hlr import HlrConnector
from smsgate.connectors.hlr.portability import PortabilityFeed
from smsgate.connectors.smpp import SmppConnector
from smsgate.connectors.smpp.config import BindMode, ConnectorConfig, ErrorAction, RetryPolicy
from smsgate.domain.account import Account, hash_api_key, hash_password, new_api_key
from smsgate.domain.carrier_seed import JP_CARRIER_PREFIXES
from smsgate.domain.ids import new_id
from smsgate.domain.pricing import PriceError, PriceList, PriceRule
from smsgate.domain.routing_tables import ConnectorRow, RouteRow
from smsgate.engine.administration import Administration
from smsgate.engine.billing import Billing
from smsgate.engine.clock import Clock, SystemClock
from smsgate.engine.cluster import default_node_id
from smsgate.engine.counters import Counters
from smsgate.engine.gateway import Gateway
from smsgate.engine.ports import Connector
from smsgate.engine.queries import Queries
from smsgate.engine.retention import RetentionJob
from smsgate.engine.router import EngineRouter
from smsgate.engine.shared_rate import SharedRates
from smsgate.engine.transitions import StatusListener
from smsgate.outbox import OutboxConsumer
from smsgate.runtime import tune_for_serving
from smsgate.simulator.embedded import ChannelSimulators
from smsgate.simulator.rcs import RcsSimulator
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.constants import CommandStatus
from smsgate.store import DuplicateError, Store, is_postgres_url, open_store
from smsgate.transport.connection_limits import ConnectionLimits

log = logging.getLogger(__name__)

SIMULATOR_ID = "simulator"
_SIM_SYSTEM_ID, _SIM_PASSWORD = "smsgate", "sim"
_DEMO_SYSTEM_ID = "demo"
DEMO_BOT = "demo-bot"  # the demo account's RCS (+message) bot
_DEMO_OPERATOR = "operator"


@dataclass
class DemoAccount:
    account_id: str
    api_key: str
    smpp_system_id: str = ""
    smpp_password: str = ""
    webhook_secret: str | None = None  # read from the store at every start (it may be rotated)
    console_user: str = ""  # the web console's demo operator
    console_password: str = ""


class App:
    @property
    def rcs_simulator(self) -> RcsSimulator | None:
        """The simulated RCS platform of the embedded set-up."""
        return None if self.channel_simulators is None else self.channel_simulators.rcs

    def __init__(self, config: Config, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock  # None: the system's (tests inject one to move time by hand)
        self.store: Store | None = None
        self.simulator: SmscSimulator | None = None
        # with the SMS one: the other channels' simulated platforms (RCS, HLR, providers, SMTP)
        self.channel_simulators: ChannelSimulators | None = None
        self.gateway: Gateway | None = None
        self.callbacks: OutboxConsumer | None = None
        self.retention: RetentionJob | None = None
        self.http: HttpServer | None = None
        self.smpp: SmppServer | None = None
        self.email_ingress: EmailIngress | None = None  # sending by e-mail, when turned on
        self._http_task: asyncio.Task[Any] | None = None
        self.demo: DemoAccount | None = None
        self.node_id = config.node_id

    async def _seed(self, store: Store) -> None:
        """What the configuration puts in the store at start: carrier prefixes on a new
        database, the file's connectors and routes, the demo account."""
        if not await store.list_carrier_prefixes():
            await store.replace_carrier_prefixes(JP_CARRIER_PREFIXES, "phonenumbers")
        await self._load_configuration(store)
        if self.config.demo_account:
            var = _var_directory(self.config)
            self.demo = await _demo_account(store, var)
            await _demo_operator(store, self.demo, var / "demo-account.json")

    async def start(self) -> None:
        config = self.config
        self.node_id = config.node_id or default_node_id()
        if is_postgres_url(config.db):
            self.store = store = await open_store(
                config.db, node_id=self.node_id, durability=config.durability
            )
        else:
            self.store = store = await open_store(
                config.db, max_bytes=config.sqlite_max_bytes, durability=config.durability
            )
        if config.simulator:
            self.simulator = SmscSimulator(
                SimulatorConfig(
                    port=config.simulator_port,
                    accounts={_SIM_SYSTEM_ID: _SIM_PASSWORD},
                    receipt_delay=config.simulator_receipt_delay,
                    response_latency=config.simulator_latency,
                )
            )
            await self.simulator.start()
        if config.simulator and config.simulator_channels:
            # their webhooks are pointed at the HTTP server once that listens
            self.channel_simulators = ChannelSimulators()
            await self.channel_simulators.start()
        async with store.setup_lock():
            await self._seed(store)
        router = await EngineRouter.load(store, config.engine.default_country)
        clock = self.clock or SystemClock()
        rows = {row.id: row for row in await store.list_connectors()}
        settings = {
            cid: _connector_config(cid, row.config)
            for cid, row in rows.items()
            if row.kind == "smpp"
        }
        connectors: dict[str, Connector] = {
            row.id: SmppConnector(settings[row.id], clock=clock)
            for row in await store.list_connectors()
            if row.enabled and row.kind == "smpp"
        }
        # several nodes run each channel's connector: its rate is the cluster's
        rates = SharedRates(store, clock) if store.shared else None
        channels = {
            row.id: kinds.build(row, clock, rates)
            for row in await store.list_connectors()
            if row.enabled and row.kind != "smpp"
        }
        connectors.update(channels)
        callbacks = config.callbacks
        if callbacks.deny_networks is None and (config.simulator or config.demo_account):
            # the embedded demo: a receiver on this machine must work
            callbacks = replace(callbacks, deny_networks=[])
        # the outbox's channels, each woken by the engine once an item for it is committed
        queries, counters = Queries(store), Counters()
        dead_letters = counters.outbox_dead_letters
        self.callbacks = callback_consumer(
            store, clock, callbacks, formats=dialects.CALLBACK_FORMATS, dead_letters=dead_letters
        )
        consumers = [self.callbacks]
        smpp_server = None
        if config.smpp_port is not None or config.smpp_tls_port is not None:
            smpp_server = _smpp_server_config(config)
            binds = BindRegistry()
            receipts = smpp_consumer(
                queries, store, clock, binds, smpp_server.outbox_retry, dead_letters
            )
            consumers.append(receipts)
        self.gateway = gateway = Gateway(
            store,
            router,
            connectors,
            queries=queries,
            counters=counters,
            billing=Billing(config.engine.currency, PriceList(await store.list_prices())),
            clock=clock,
            config=config.engine,
            callback_deny=deny_list(callbacks),
            on_outbox=[consumer.notify for consumer in consumers],
            outbox_wakers=[consumer.wake for consumer in consumers],
            build_connector=_connector_builder(settings, channels, rows, clock, rates),
            node_id=self.node_id,
            lease_ttl=config.lease_ttl,
            # an SMPP bind counts against the carrier's limits: one node at a time holds it
            leased=[cid for cid in connectors if cid in settings],
            on_status=_status_listeners(store, router, channels, clock),
            # a disabled connector's parts still wait for their receipts
            receipt_timeouts={
                **{cid: c.receipt_timeout for cid, c in settings.items()},
                **{cid: kinds.receipt_timeout(c) for cid, c in channels.items()},
            },
        )
        if isinstance(self.callbacks.channel, HttpChannel):
            gateway.config_watch.on_change("accounts", self.callbacks.channel.forget_accounts)
        await self.callbacks.start()
        if smpp_server is not None:
            self.smpp = SmppServer(gateway, binds, receipts, smpp_server)
            await self.smpp.restore()
        await gateway.start()
        if config.email_ingress.enabled:
            self.email_ingress = _email_ingress(config, gateway, channels, clock)
            port = await self.email_ingress.start()
            if self.channel_simulators is not None:
                self.channel_simulators.send_bounces_to(config.email_ingress.host, port)
        elif any(_reads_bounces(c) for c in channels.values()):
            log.warning("e-mail bounces are not read: [email_ingress] is off")
        self.retention = RetentionJob(store, clock)
        self.retention.start()
        if self.smpp is not None:
            await self.smpp.start()
        http_settings = HttpSettings(
            max_connections=config.http_max_connections,
            max_header_bytes=config.http_max_header_bytes,
            header_timeout=config.http_header_timeout,
            keepalive_timeout=config.http_keepalive_timeout,
            trusted_proxies=config.http_trusted_proxies,
            auth_failures=config.http_auth_failures,
            auth_window=config.http_auth_window,
            metrics_allow=config.metrics_allow,
            metrics_token=config.metrics_token,
        )
        app = create_app(
            gateway,
            lambda: render_metrics(gateway, self._email_figures()),
            http_settings,
            kinds.webhook_routes(channels),
        )
        self.http = HttpServer(app, config.http_host, config.http_port, http_settings)
        self._http_task = asyncio.create_task(self.http.serve())
        while not self.http.started:
            if self._http_task.done():
                await self._http_task  # raises what stopped it (port taken, ...)
                raise RuntimeError("the HTTP server stopped at start")
            await asyncio.sleep(0.01)
        if self.channel_simulators is not None:
            self.channel_simulators.send_webhooks_to(f"http://127.0.0.1:{self.http.port}")

    def _email_figures(self) -> EmailFigures | None:
        """The SMTP server's counters for /metrics, while it runs."""
        ingress = self.email_ingress
        if ingress is None:
            return None
        bounces = ingress.bounces.counters if ingress.bounces is not None else None
        return EmailFigures(ingress.counters, bounces)

    async def _load_configuration(self, store: Store) -> None:
        """Connectors and routes from the configuration file (and the simulator) into the store,
        which is where the engine reads them."""
        config = self.config
        for item in config.connectors:
            data = dict(item)
            connector_id = data.pop("id", None)
            if not connector_id:
                raise ConfigError("a [[connectors]] entry has no id")
            await store.upsert_connector(
                ConnectorRow(connector_id, data.pop("kind", "smpp"), data, True)
            )
        routes = [
            RouteRow(
                str(item.get("id", f"route{i}")), i, {k: v for k, v in item.items() if k != "id"}
            )
            for i, item in enumerate(config.routes)
        ]
        if self.simulator is not None:
            await store.upsert_connector(
                ConnectorRow(
                    SIMULATOR_ID,
                    "smpp",
                    {
                        "host": "127.0.0.1",
                        "port": self.simulator.config.port,
                        "system_id": _SIM_SYSTEM_ID,
                        "password": _SIM_PASSWORD,
                    },
                    True,
                )
            )
            # everything goes to the simulated carrier
            routes = [RouteRow("simulator", 0, {"connectors": [{"id": SIMULATOR_ID}]})]
        if self.channel_simulators is not None:
            for row in self.channel_simulators.rows(bounces=config.email_ingress.enabled):
                await store.upsert_connector(row)
        if routes:
            await store.replace_routes(routes)
        if config.prices:
            try:
                prices = [PriceRule.from_spec(item) for item in config.prices]
            except PriceError as exc:
                raise ConfigError(f"[[prices]]: {exc}") from None
            await store.replace_prices(prices)

    async def stop(self) -> None:
        """Drain: not ready (a load balancer stops sending work here), then after
        drain_grace the interfaces close, the connectors stop, and the gateway hands its binds
        and unfinished messages to the other nodes."""
        timeout = self.config.drain_timeout
        # the grace lets a load balancer see /readyz fail; alone, no node takes the traffic
        others = self.gateway is not None and await self.gateway.node.drain()
        if others and self.http is not None and self.config.drain_grace > 0:
            await asyncio.sleep(self.config.drain_grace)
        if self.http is not None:
            self.http.should_exit = True
            if self._http_task is not None:
                await self._http_task
        if self.email_ingress is not None:
            await self.email_ingress.stop()
        if self.smpp is not None:
            await self.smpp.stop(timeout)
        if self.gateway is not None:
            await self.gateway.stop(timeout)
        if self.retention is not None:
            await self.retention.stop()
        if self.callbacks is not None:
            await self.callbacks.stop()
        if self.simulator is not None:
            await self.simulator.stop()
        if self.channel_simulators is not None:
            await self.channel_simulators.stop()
        if self.store is not None:
            await self.store.close()


def _status_listeners(
    store: Store, router: EngineRouter, channels: Mapping[str, Connector], clock: Clock
) -> list[StatusListener]:
    """What hears of committed statuses: the portability table, when an HLR connector feeds it."""
    feeds = any(
        isinstance(c, HlrConnector) and c.config.feed_portability for c in channels.values()
    )
    return [PortabilityFeed(store, router.carriers, clock)] if feeds else []


def _reads_bounces(connector: Connector) -> bool:
    return isinstance(connector, EmailConnector) and connector.config.bounce_address is not None


def _email_ingress(
    config: Config, gateway: Gateway, channels: Mapping[str, Connector], clock: Clock
) -> EmailIngress:
    """Sending by e-mail; its answers by e-mail go through the first e-mail connector's relay."""
    relay = next((c.config for c in channels.values() if isinstance(c, EmailConnector)), None)
    if config.email_ingress.reply_by_email and relay is None:
        raise ConfigError("email_ingress.reply_by_email needs an e-mail connector (its relay)")
    return EmailIngress(
        config.email_ingress,
        authenticate=Logins(gateway.queries).authenticate,
        accept=gateway.accept,
        clock=clock,
        send_reply=relay_sender(relay) if relay is not None else None,
        # the connectors as they are at each bounce: reconfiguring one replaces it in `channels`
        bounces=BounceIntake(
            lambda: [c for c in channels.values() if isinstance(c, EmailConnector)]
        ),
    )


def _var_directory(config: Config) -> Path:
    """Where the embedded set-up keeps its files: beside the SQLite database, else var/."""
    return Path("var") if config.db.startswith("postgres") else Path(config.db).parent


def _smpp_server_config(config: Config) -> SmppServerConfig:
    tls = None
    if config.smpp_tls_port is not None:
        if config.smpp_tls_cert and config.smpp_tls_key:
            cert, key = Path(config.smpp_tls_cert), Path(config.smpp_tls_key)
        else:
            cert, key = self_signed(_var_directory(config))
        tls = server_context(cert, key)
    return SmppServerConfig(
        host=config.smpp_host,
        port=config.smpp_port,
        tls_port=config.smpp_tls_port,
        tls=tls,
        inactivity_timeout=config.smpp_inactivity_timeout,
        window=config.smpp_window,
        concat_wait=config.smpp_concat_wait,
        message_ids=IdFormat(config.smpp_message_ids),
        limits=ConnectionLimits(
            write_high=config.smpp_write_buffer_high,
            write_low=config.smpp_write_buffer_low,
            pdu_rate=config.smpp_pdu_rate,
            unbound_pdu_rate=config.smpp_unbound_pdu_rate,
            flood_close=config.smpp_flood_close,
            bind_timeout=config.smpp_bind_timeout,
        ),
        admission=AdmissionLimits(
            per_address=config.smpp_max_connections_per_address,
            unbound=config.smpp_max_unbound_connections,
        ),
        bind_limits=BindLimits(
            login_failures=config.smpp_bind_login_failures,
            address_failures=config.smpp_bind_address_failures,
            lockout=config.smpp_bind_lockout,
            lockout_max=config.smpp_bind_lockout_max,
        ),
    )


def _connector_builder(
    settings: Mapping[str, ConnectorConfig],
    channels: dict[str, kinds.Built],
    rows: Mapping[str, ConnectorRow],
    clock: Clock,
    rates: SharedRates | None,
) -> Callable[[str], Connector]:
    """How the gateway makes a fresh connector of a configured id when an operator starts one
    again: of the configuration read at start. A channel's new connector also takes the old
    one's place among `channels`, where its webhooks and the e-mail ingress look it up."""

    def build(connector_id: str) -> Connector:
        if connector_id in settings:
            return SmppConnector(settings[connector_id], clock=clock)
        connector = kinds.build(rows[connector_id], clock, rates)
        channels[connector_id] = connector
        return connector

    return build


def _connector_config(connector_id: str, settings: dict[str, Any]) -> ConnectorConfig:
    """A connector's settings as the configuration file (TOML) and the store (JSON) hold them:
    bind_mode as its name, the retry table as {status name or number: action}."""
    settings = dict(settings)
    try:
        if "bind_mode" in settings:
            settings["bind_mode"] = BindMode(settings["bind_mode"])
        if "retry" in settings:
            settings["retry"] = RetryPolicy(
                {_status(key): ErrorAction(value) for key, value in settings["retry"].items()}
            )
        return ConnectorConfig(id=connector_id, **settings)
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"connector {connector_id}: {exc}") from None


def _status(key: str) -> int:
    """A command_status from its name (ESME_RTHROTTLED) or number (0x58, 88)."""
    if key.upper().startswith("ESME_"):
        return int(CommandStatus[key.upper()])
    return int(key, 0)


async def _demo_account(store: Store, var: Path) -> DemoAccount:
    """The demo account of the embedded set-up. Its key is kept in var/ in clear (only the hash
    is in the database) so that every start can print it."""
    path = var / "demo-account.json"
    if path.exists():
        saved = DemoAccount(**json.loads(path.read_text()))
        account = await store.get_account(saved.account_id)
        if account is not None:
            saved.webhook_secret = account.webhook_secret
            if account.bot_id is None:  # made before RCS existed
                account.bot_id = DEMO_BOT
                await store.update_account(account)
            if saved.smpp_system_id and account.smpp_system_id == saved.smpp_system_id:
                return saved
            # made before the SMPP server existed: give it SMPP credentials now
            saved.smpp_system_id, saved.smpp_password = _DEMO_SYSTEM_ID, secrets.token_hex(4)
            account.smpp_system_id = saved.smpp_system_id
            account.smpp_password_hash = hash_password(saved.smpp_password)
            await store.update_account(account)
            _save_demo(path, saved)
            return saved
    key = new_api_key()
    # SMPP passwords are at most 8 characters
    demo = DemoAccount(new_id(), key, _DEMO_SYSTEM_ID, secrets.token_hex(4))
    account = Account(
        id=demo.account_id,
        name="demo",
        api_key_hash=hash_api_key(key),
        smpp_system_id=demo.smpp_system_id,
        smpp_password_hash=hash_password(demo.smpp_password),
        rate_limit=1000.0,
        bot_id=DEMO_BOT,
    )
    try:
        await store.create_account(account)
    except DuplicateError:
        # another node sharing the database made it first: its key is in that node's var/
        # (only the hash is stored), so this node prints the account without one
        existing = await store.account_by_system_id(_DEMO_SYSTEM_ID)
        if existing is None:
            raise
        log.info("the demo account exists already (made by another node)")
        return DemoAccount(existing.id, "", _DEMO_SYSTEM_ID, "", existing.webhook_secret)
    var.mkdir(parents=True, exist_ok=True)
    _save_demo(path, demo)
    demo.webhook_secret = account.webhook_secret
    return demo


async def _demo_operator(store: Store, demo: DemoAccount, path: Path) -> None:
    """The embedded set-up's console operator, made once with the demo account; its password
    is kept beside the demo key so that every start can print it."""
    if demo.console_user and await store.console_user(demo.console_user) is not None:
        return
    if not demo.api_key and await store.console_user(_DEMO_OPERATOR) is not None:
        return  # both made by another node sharing the database: its password stays
    demo.console_user, demo.console_password = _DEMO_OPERATOR, secrets.token_urlsafe(9)
    admin = Administration(store, SystemClock())
    if await store.console_user(_DEMO_OPERATOR) is None:
        await admin.create_user(_DEMO_OPERATOR, "operator", demo.console_password)
    else:  # the file was lost: the user stays, with a new password
        await admin.set_password(_DEMO_OPERATOR, demo.console_password)
    _save_demo(path, demo)


def _save_demo(path: Path, demo: DemoAccount) -> None:
    # the secret stays in the store only, so that a rotated one is never shown stale
    saved = {k: v for k, v in asdict(demo).items() if k != "webhook_secret"}
    path.write_text(json.dumps(saved))
    os.chmod(path, 0o600)


async def serve(config: Config, on_ready: Any = None) -> None:
    """Run until SIGINT/SIGTERM, then stop gracefully."""
    app = App(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await app.start()
        tune_for_serving()
        if on_ready is not None:
            on_ready(app)
        await stop.wait()
    finally:
        await app.stop()
