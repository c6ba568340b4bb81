"""The settings reference of docs/configuration.md is generated from the configuration model and
kept current; the README names every environment variable and command."""

import dataclasses
import re
from pathlib import Path

from smsgate import config_reference
from smsgate.api.smtp.config import EmailIngressConfig
from smsgate.callbacks.channel import CallbackConfig
from smsgate.cli import build_parser
from smsgate.config import _ENV, Config
from smsgate.config_reference import END, PAGE, START, comments_of, render, sections, updated
from smsgate.engine.config import EngineConfig

README = PAGE.parents[1] / "README.md"


def test_the_settings_reference_in_the_docs_is_current() -> None:
    page = PAGE.read_text()
    assert updated(page) == page, "regenerate it: python -m smsgate.config_reference"
    assert config_reference.main(["--check"]) == 0


def test_every_setting_and_variable_is_in_the_reference() -> None:
    text = render()
    for model in (Config, EngineConfig, CallbackConfig, EmailIngressConfig):
        for field in dataclasses.fields(model):
            nested = field.name in ("engine", "callbacks", "email_ingress")  # tables of their own
            assert (f"**[{field.name}]**" if nested else f"| `{field.name}` |") in text, field.name
    for name in _ENV:
        assert f"| `{name}` |" in text, name
    # the settings the hand-written list used to miss
    for name in ("smpp_tls_port", "smpp_tls_cert", "smpp_tls_key", "smpp_inactivity_timeout"):
        assert f"| `{name}` |" in PAGE.read_text()
    assert "| `smpp_window` | `int` | `" in text and "| `smpp_concat_wait` | `float` |" in text
    titles = ["top level", "[engine]", "[callbacks]", "[email_ingress]"]
    assert [title for title, _ in sections()] == titles


def test_every_setting_says_what_it_means() -> None:
    for title, found in sections():
        for setting in found:
            assert setting.meaning, f"{title} {setting.name}: a comment on its field says it"


@dataclasses.dataclass
class _Sample:
    plain: int = 1  # on its line
    # above it,
    # on two lines
    above: str = "x"
    bare: float = 0.5
    listed: list[str] = dataclasses.field(default_factory=list)  # a factory


def test_a_field_means_its_trailing_comment_else_the_comment_above() -> None:
    assert comments_of(_Sample) == {
        "plain": "on its line",
        "above": "above it, on two lines",
        "bare": "",
        "listed": "a factory",
    }
    (row,) = [s for s in config_reference.settings_of(_Sample) if s.name == "listed"]
    assert (row.kind, row.default) == ("list[str]", "`[]`")


def test_regenerating_replaces_only_the_generated_section(tmp_path: Path) -> None:
    page = tmp_path / "configuration.md"
    page.write_text(f"# Configuration\n\nprose\n\n{START}\nstale\n{END}\n\nafter\n")
    assert config_reference.main([str(page), "--check"]) == 1
    assert config_reference.main([str(page)]) == 0
    text = page.read_text()
    assert text.startswith("# Configuration\n\nprose\n\n") and text.endswith(f"{END}\n\nafter\n")
    assert "stale" not in text and "| `db` |" in text
    assert config_reference.main([str(page), "--check"]) == 0
    # a page without the section gets it at its end
    bare = tmp_path / "bare.md"
    bare.write_text("# Configuration\n")
    config_reference.main([str(bare)])
    assert bare.read_text().startswith("# Configuration\n\n" + START)


def test_the_readme_names_every_variable_and_command() -> None:
    readme = README.read_text()
    for name in _ENV:
        assert f"`{name}" in readme, name
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    table = readme.split("## Commands", 1)[1].split("\n\n", 2)[1]
    for command in commands:
        assert re.search(rf"`(smsgate )?{re.escape(command)}\b", table), command
