"""The documented example configuration loads, and its parts are accepted where they go."""

from pathlib import Path

import pytest

from smsgate.app import _connector_config
from smsgate.config import ConfigError, load_config
from smsgate.connectors.smpp.config import BindMode, ErrorAction
from smsgate.domain.pricing import PriceList, PriceRule
from smsgate.domain.routing import RouteTable
from smsgate.smpp.constants import CommandStatus

EXAMPLE = Path(__file__).parent.parent / "docs" / "smsgate.example.toml"


def test_example_configuration_is_valid() -> None:
    config = load_config(EXAMPLE, env={})
    assert config.http_port == 8080 and config.engine.default_country == "JP"
    connectors = {}
    for item in config.connectors:
        settings = {k: v for k, v in item.items() if k != "id"}
        connectors[item["id"]] = _connector_config(item["id"], settings)
    first = connectors["docomo-a"]
    assert first.bind_mode is BindMode.TX_RX and first.binds == 2 and first.max_tps == 200.0
    assert first.retry.action(CommandStatus.ESME_RSUBMITFAIL) is ErrorAction.RETRY
    assert first.retry.action(0x400) is ErrorAction.PERMANENT
    assert first.retry.action(CommandStatus.ESME_RTHROTTLED) is ErrorAction.THROTTLE
    rows = [
        (r["id"], i, {k: v for k, v in r.items() if k != "id"}) for i, r in enumerate(config.routes)
    ]
    table = RouteTable.from_rows(rows)
    assert len(table.routes) == 3


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {
        "SMSGATE_DB": str(tmp_path / "x.db"),
        "SMSGATE_HTTP_PORT": "9999",
        "SMSGATE_SIMULATOR": "1",
    }
    config = load_config(EXAMPLE, env=env)
    assert (config.db, config.http_port, config.simulator) == (env["SMSGATE_DB"], 9999, True)


def test_mistakes_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("htp_port = 80\n")
    with pytest.raises(ConfigError, match="unknown setting 'htp_port'"):
        load_config(bad, env={})
    with pytest.raises(ConfigError, match="SMSGATE_HTTP_PORT"):
        load_config(None, env={"SMSGATE_HTTP_PORT": "eighty"})
    with pytest.raises(ConfigError, match="connector x"):
        _connector_config(
            "x",
            {"host": "h", "port": 1, "system_id": "s", "password": "p", "bind_mode": "sideways"},
        )


def test_example_prices_make_a_price_list() -> None:
    config = load_config(EXAMPLE, env={})
    prices = PriceList(PriceRule.from_spec(item) for item in config.prices)

    def per(route: str, country: str, carrier: str | None) -> str | None:
        rule = prices.find("EUR", route, country, carrier)
        return None if rule is None else str(rule.per_segment)

    assert per("docomo-direct", "JP", "docomo") == "0.0650"
    assert per("japan", "JP", "kddi") == "0.0700"
    assert per("rest", "DE", None) == "0.0500"
    assert prices.find("JPY", "rest", "DE", None) is None


def test_smpp_message_ids_is_decimal_or_hex(tmp_path: Path) -> None:
    assert load_config(env={}).smpp_message_ids == "decimal"
    path = tmp_path / "ids.toml"
    path.write_text('smpp_message_ids = "hex"\n')
    assert load_config(path, env={}).smpp_message_ids == "hex"
    path.write_text('smpp_message_ids = "base36"\n')
    with pytest.raises(ConfigError, match="smpp_message_ids"):
        load_config(path, env={})
