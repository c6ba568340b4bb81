"""Which database a store command uses: `--db`, else SMSGATE_DB or the `--config` file, else
the default `var/smsgate.db` under the current directory. A command says which on stderr, so a
command run in another directory does not quietly work on another (new, empty) database."""

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from smsgate.config import Config, load_config
from smsgate.store import is_postgres_url


@dataclass(frozen=True, slots=True)
class Database:
    url: str  # what open_store takes
    source: str  # where it was named: --db, SMSGATE_DB, the configuration file or the default

    def __str__(self) -> str:
        return f"database {shown(self.url)} ({self.source})"


def add_db_options(parser: argparse.ArgumentParser) -> None:
    """`--db` on every command of `parser` that reads the configuration (`--config`): added once
    here, so that no store command lacks it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                add_db_options(sub)
    if "--config" in parser._option_string_actions and "--db" not in parser._option_string_actions:
        parser.add_argument(
            "--db", help="SQLite file or postgresql:// DSN (default: $SMSGATE_DB, var/smsgate.db)"
        )


def database_of(args: argparse.Namespace, config: Config | None = None) -> Database:
    if getattr(args, "db", None):
        return Database(args.db, "--db")
    config = config or load_config(args.config)
    if "SMSGATE_DB" in os.environ:
        source = "SMSGATE_DB"
    elif args.config is not None and config.db != Config.db:
        source = f"from {args.config}"
    else:
        source = "the default; give --db or set SMSGATE_DB"
    return Database(config.db, source)


def shown(url: str) -> str:
    """A database as an operator recognises it: a SQLite file's absolute path, a DSN without
    its password."""
    if not is_postgres_url(url):
        return str(Path(url).absolute())
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
