"""The connectors of the channels beside SMPP, built from their `[[connectors]]` rows by kind,
and the routes their providers' webhooks come to.

kind        connector                          webhooks
"rcs"       connectors.rcs.RcsConnector         /connectors/rcs/{id}/events
"hlr"       connectors.hlr.HlrConnector         (none: each lookup is answered at once)
"voice", "viber", "telegram", "bot", "social"
            connectors.providers.ProviderConnector (the kind is its channel)
                                               /connectors/{kind}/{id}/events
"email"     connectors.email.EmailConnector     (none: the relay answers each message)
"""

from collections.abc import Callable, Mapping
from typing import Any, Final

from starlette.routing import BaseRoute

from smsgate.config import ConfigError
from smsgate.connectors import providers, rcs
from smsgate.connectors.email import EmailConnector, EmailConnectorConfig
from smsgate.connectors.hlr import HlrConnector, HlrConnectorConfig
from smsgate.connectors.providers import ProviderConnector, ProviderConnectorConfig
from smsgate.connectors.rcs import RcsConnector, RcsConnectorConfig
from smsgate.connectors.sending import RateShare
from smsgate.domain.routing_tables import ConnectorRow
from smsgate.engine.clock import Clock
from smsgate.engine.ports import Connector

Built = RcsConnector | HlrConnector | ProviderConnector | EmailConnector


def _rcs(row: ConnectorRow, clock: Clock) -> Built:
    return RcsConnector(RcsConnectorConfig(id=row.id, **row.config), clock=clock)


def _hlr(row: ConnectorRow, clock: Clock) -> Built:
    return HlrConnector(HlrConnectorConfig(id=row.id, **row.config), clock=clock)


def _provider(row: ConnectorRow, clock: Clock) -> Built:
    return ProviderConnector(ProviderConnectorConfig(id=row.id, channel=row.kind, **row.config))


def _email(row: ConnectorRow, clock: Clock) -> Built:
    return EmailConnector(EmailConnectorConfig(id=row.id, **row.config))


BUILDERS: Final[dict[str, Callable[[ConnectorRow, Clock], Built]]] = {
    "rcs": _rcs,
    "hlr": _hlr,
    "email": _email,
    **{channel: _provider for channel in providers.CHANNELS},
}


def build(row: ConnectorRow, clock: Clock, rates: RateShare | None = None) -> Built:
    """The connector of a row of a kind other than "smpp"; ConfigError for an unknown kind or
    settings its connector refuses. With `rates` (several nodes), its rate is the cluster's:
    every node runs it, and they take its tokens from one bucket."""
    builder = BUILDERS.get(row.kind)
    if builder is None:
        known = ", ".join(sorted(["smpp", *BUILDERS]))
        raise ConfigError(f"[[connectors]] {row.id}: kind {row.kind!r} is not one of {known}")
    try:
        connector = builder(row, clock)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[[connectors]] {row.id}: {exc}") from None
    if rates is not None:
        connector.pacer.share(rates, f"connector:{row.id}")
    return connector


def receipt_timeout(connector: Built) -> float | None:
    """Seconds after a message's validity before its parts still waiting for this connector's
    report end `expired` (None: never)."""
    timeout: float | None = getattr(connector.config, "receipt_timeout", None)
    return timeout


def webhook_routes(connectors: Mapping[str, Connector]) -> list[BaseRoute]:
    """The routes the channels' providers post their reports to."""

    def of(kind: type[Any]) -> Callable[[str], Any]:
        return lambda cid: c if isinstance(c := connectors.get(cid), kind) else None

    return [
        *rcs.webhook_routes(of(RcsConnector)),
        *providers.webhook_routes(of(ProviderConnector)),
    ]
