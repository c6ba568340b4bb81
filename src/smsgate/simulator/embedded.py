"""The simulated platforms of the channels beside SMS, run in the gateway's process by the
embedded set-up (`make run`, `simulator = true`): an RCS (+message) platform, an HLR provider,
one provider of voice calls, Viber, Telegram codes and bots and social networks, and an SMTP
relay. Each is a real server on loopback; the gateway gets a connector row for each, and their
webhooks are pointed at the gateway once it listens."""

import secrets
from typing import Final

from smsgate.connectors import providers
from smsgate.connectors.rcs import WEBHOOK_PATH as RCS_WEBHOOK
from smsgate.domain.routing_tables import ConnectorRow
from smsgate.simulator.hlr import HlrSimulator, HlrSimulatorConfig
from smsgate.simulator.providers import ProvidersSimulator, ProvidersSimulatorConfig
from smsgate.simulator.rcs import RcsSimulator, RcsSimulatorConfig
from smsgate.simulator.smtp_relay import SmtpRelayConfig, SmtpRelaySimulator

RCS_ID: Final = "rcs-simulator"
HLR_ID: Final = "hlr-simulator"
EMAIL_ID: Final = "email-simulator"
BOUNCE_ADDRESS: Final = "bounces@smsgate.example"
_TOKEN: Final = "smsgate-simulators"  # what the gateway sends the simulated platforms


def provider_id(channel: str) -> str:
    return f"{channel}-simulator"


class ChannelSimulators:
    def __init__(self) -> None:
        # what their webhooks carry (drawn anew at every start)
        self.webhook_token = secrets.token_urlsafe(24)
        self.rcs = RcsSimulator(
            RcsSimulatorConfig(port=0, token=_TOKEN, webhook_token=self.webhook_token)
        )
        self.hlr = HlrSimulator(HlrSimulatorConfig(port=0, token=_TOKEN))
        self.providers = ProvidersSimulator(
            ProvidersSimulatorConfig(port=0, token=_TOKEN, webhook_token=self.webhook_token)
        )
        self.relay = SmtpRelaySimulator(SmtpRelayConfig(port=0))
        self.bounce_secret = secrets.token_urlsafe(24)  # signs the e-mails' bounce addresses

    async def start(self) -> None:
        await self.rcs.start()
        await self.hlr.start()
        await self.providers.start()
        await self.relay.start()

    def rows(self, bounces: bool = False) -> list[ConnectorRow]:
        """The gateway's connectors to them; with `bounces` (the gateway's SMTP server runs),
        the e-mail connector reads bounces, which the relay sends for `bounce...@` addresses
        once `send_bounces_to` named that server."""
        email: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.relay.port,
            "starttls": False,  # a relay on loopback
            "from_address": "noreply@smsgate.example",
        }
        if bounces:
            email.update(bounce_address=BOUNCE_ADDRESS, bounce_secret=self.bounce_secret)
        hooks = {"token": _TOKEN, "webhook_token": self.webhook_token}
        rows = [
            ConnectorRow(RCS_ID, "rcs", {"base_url": self.rcs.base_url, **hooks}, True),
            ConnectorRow(
                HLR_ID,
                "hlr",
                {"base_url": self.hlr.base_url, "token": _TOKEN, "feed_portability": True},
                True,
            ),
            ConnectorRow(EMAIL_ID, "email", email, True),
        ]
        rows += [
            ConnectorRow(provider_id(c), c, {"base_url": self.providers.base_url, **hooks}, True)
            for c in providers.CHANNELS
        ]
        return rows

    def send_webhooks_to(self, base: str) -> None:
        """Point their webhooks at the gateway listening at `base` (http://host:port)."""
        self.rcs.config.webhook_url = base + RCS_WEBHOOK.format(connector_id=RCS_ID)
        self.providers.config.webhook_urls.update(
            {
                channel: base
                + providers.WEBHOOK_PATH.format(kind=channel).format(
                    connector_id=provider_id(channel)
                )
                for channel in providers.CHANNELS
            }
        )

    def send_bounces_to(self, host: str, port: int) -> None:
        """Have the relay send its DSNs to the gateway's SMTP server at `host`:`port`."""
        self.relay.config.dsn_host, self.relay.config.dsn_port = host, port

    async def stop(self) -> None:
        await self.relay.stop()
        await self.providers.stop()
        await self.hlr.stop()
        await self.rcs.stop()
