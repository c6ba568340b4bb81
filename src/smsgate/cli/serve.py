"""`smsgate serve`: run the gateway and print where to reach it."""

import argparse
import json
from typing import Any, Final

from smsgate import __version__
from smsgate.app import App, serve
from smsgate.cli.common import refuse
from smsgate.config import ConfigError, embedded, load_config
from smsgate.runtime import run_async
from smsgate.store import StoreError


def _serve(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return refuse("serve", exc)
    if args.db:
        config.db = args.db
    if args.config is None:
        # the embedded set-up: SQLite under var/, the simulated carrier, a demo account
        embedded(config)
    try:
        run_async(serve(config, on_ready=_print_ready))
    except (ConfigError, OSError, StoreError) as exc:
        # a damaged or unreadable database: the reason and what to do, not a traceback
        return refuse("serve", exc)
    return 0


def _print_ready(app: App) -> None:
    print(ready_banner(app), flush=True)


# the banner's +message example: a card with a suggested reply, SMS text for the fallback
RICH_CARD: Final = json.dumps(
    {
        "to": "+819012345678",
        "channel": ["rcs", "sms"],
        "text": "Your parcel arrives today 14-16h",
        "rcs": {
            "richcardMessage": {
                "message": {
                    "generalPurposeCard": {
                        "layout": {"cardOrientation": "VERTICAL"},
                        "content": {
                            "title": "Your parcel",
                            "description": "Arrives today between 14:00 and 16:00",
                            "suggestions": [
                                {"reply": {"displayText": "OK", "postback": {"data": "ok"}}}
                            ],
                        },
                    }
                }
            }
        },
    },
    ensure_ascii=False,
    separators=(",", ":"),
)


def ready_banner(app: App) -> str:
    """Where the gateway is, and in the embedded set-up the demo account's credentials."""
    assert app.http is not None
    url = f"http://{app.config.http_host}:{app.http.port}"
    lines = [
        f"smsgate {__version__} ready",
        f"  HTTP API      {url}  (docs {url}/docs, OpenAPI {url}/openapi.json, "
        f"metrics {url}/metrics)",
        f"  store         {app.config.db}",
    ]
    country = app.config.engine.default_country
    if country is not None:
        lines.append(
            f"  country       {country} (default: a number without + is a national one there)"
        )
    if app.simulator is not None:
        lines.append(f"  carrier       built-in simulator on 127.0.0.1:{app.simulator.config.port}")
    if app.rcs_simulator is not None:
        lines.append(
            f"  +message      built-in RCS platform on {app.rcs_simulator.base_url}"
            " (+8170... cannot receive RCS: SMS at once; +81809... never deliver: revoked,"
            " then SMS)"
        )
    if app.channel_simulators is not None:
        lines.append(
            "  channels      e-mail, voice, Viber, Telegram, bot, social, HLR, ping: simulated"
            " (docs/channels.md)"
        )
    if app.smpp is not None:
        host = app.config.smpp_host
        ports = [f"{host}:{app.smpp.port}"] if app.smpp.port is not None else []
        if app.smpp.tls_port is not None:
            ports.append(f"{host}:{app.smpp.tls_port} (TLS)")
        lines.append(f"  SMPP server   {', '.join(ports)}")
    if app.demo is not None and not app.demo.api_key:
        lines.append(
            f"  demo account  id {app.demo.account_id}, made by another node sharing the"
            " database (its credentials are in that node's var/demo-account.json)"
        )
    elif app.demo is not None:
        key = app.demo.api_key
        lines += [
            f"  demo account  id {app.demo.account_id}",
            f"                API key {key}",
            f"                SMPP system_id {app.demo.smpp_system_id} "
            f"password {app.demo.smpp_password}",
            f"                callbacks signed with {app.demo.webhook_secret} "
            "(X-Smsgate-Signature, docs/callbacks.md)"
            if app.demo.webhook_secret
            else "                callbacks unsigned (signing turned off)",
            f"  console       {url}/console/  user {app.demo.console_user} "
            f"password {app.demo.console_password}",
            "  send a message:",
            f"    curl -s -X POST {url}/v1/messages -H 'Authorization: Bearer {key}' "
            "-H 'Content-Type: application/json' "
            """-d '{"to": "+819012345678", "text": "Hello from smsgate"}'""",
            "  then fetch it (status, parts, history) with the id it returns:",
            f"    curl -s {url}/v1/messages/ID -H 'Authorization: Bearer {key}'",
            "  or by another channel: a text such as '__VIBER__: Hello', or "
            '"channel": "hlr" to look the number up (docs/channels.md)',
            "  send a rich card by +message (RCS), with SMS as the fallback (docs/rcs.md):",
            f"    curl -s -X POST {url}/v1/messages -H 'Authorization: Bearer {key}' "
            "-H 'Content-Type: application/json' -d '" + RICH_CARD + "'",
        ]
    lines.append("  Ctrl-C stops it (in-flight work is drained first)")
    return "\n".join(lines)


def add_serve_command(commands: Any) -> None:
    """`smsgate serve [--config FILE]`"""
    command = commands.add_parser(
        "serve",
        help="run the gateway (without --config: embedded defaults, simulated carrier, demo)",
    )
    command.add_argument("--config", help="TOML configuration file")
    command.set_defaults(func=_serve)
