"""The fault campaign's PostgreSQL: a private cluster of its own (initdb, pg_ctl) on a free
loopback port in a temporary directory, so restarting it under load touches no one else. Where
no PostgreSQL binaries are installed, a fresh database on a shared server instead, which cannot
be restarted (`restartable` is False and `why_not` says why)."""

import asyncio
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

import asyncpg

from smsgate.bench.processes import free_port

_BINARIES: Final = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/bin")
SHARED_URL: Final = os.environ.get("SMSGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
_RUN_AS: Final = "postgres"  # PostgreSQL refuses to run as root


def _binaries() -> Path | None:
    for place in _BINARIES:
        if (Path(place) / "initdb").exists() and (Path(place) / "pg_ctl").exists():
            return Path(place)
    return None


def _demote() -> Callable[[], None] | None:
    """A preexec that drops root for the postgres OS user (None when not root)."""
    if os.getuid() != 0:
        return None
    user = pwd.getpwnam(_RUN_AS)

    def run() -> None:
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return run


def postgres_problem() -> str | None:
    """Why no PostgreSQL can be had for a run (None: a private cluster can be started, or the
    shared server answers)."""
    if _binaries() is not None and (os.getuid() != 0 or _has_user(_RUN_AS)):
        return None

    async def probe() -> None:
        conn = await asyncpg.connect(SHARED_URL, timeout=5)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as error:  # any reason at all is the answer
        return f"no PostgreSQL binaries, and none reachable at {SHARED_URL}: {error!r}"
    return None


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PrivatePostgres:
    """One PostgreSQL for a run. `url` is where the nodes connect (the proxy may stand in
    between); `start`, `restart` and `stop` are real pg_ctl calls."""

    def __init__(self, name: str) -> None:
        # a directory of its own under /tmp: the postgres user must reach it
        self.workdir = Path(tempfile.mkdtemp(prefix=f"smsgate-{name}-pg-"))
        self.name = name
        self.binaries = _binaries()
        self.port = 0
        self.url = ""
        self.restartable = False
        self.why_not = ""
        self._shared_db: str | None = None

    @property
    def data(self) -> Path:
        return self.workdir / "pgdata"

    def _run(self, *args: str) -> None:
        assert self.binaries is not None
        subprocess.run(
            [str(self.binaries / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            preexec_fn=_demote(),  # only setuid/setgid, before exec
            timeout=120,
        )

    def start(self) -> None:
        if self.binaries is None:
            self._start_shared()
            return
        if os.getuid() == 0 and not _has_user(_RUN_AS):
            self._start_shared(f"running as root and no {_RUN_AS!r} OS user to run it as")
            return
        if os.getuid() == 0:
            user = pwd.getpwnam(_RUN_AS)
            os.chown(self.workdir, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.port = free_port()
        settings = self.data / "postgresql.conf"
        with settings.open("a") as conf:
            # loopback only, a socket directory of its own, and no fsync wait: this cluster
            # lives for one run; what the nodes committed survives a fast restart all the same
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.workdir}'\nfsync = off\n"
                "max_connections = 200\n"
            )
        self._pg_ctl("start")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.restartable = True

    def _pg_ctl(self, action: str, *extra: str) -> None:
        log = self.workdir / "postgres.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "60", action, *extra)

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server back when it returns."""
        if not self.restartable:
            raise RuntimeError(self.why_not)
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if self.restartable:
            self._pg_ctl("stop", "-m", "immediate")
        elif self._shared_db is not None:
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self._shared_db}" WITH (FORCE)'))

    def _start_shared(self, reason: str = "no initdb/pg_ctl installed") -> None:
        self._shared_db = f"{self.name}_{secrets.token_hex(4)}"
        asyncio.run(self._admin(f'CREATE DATABASE "{self._shared_db}"'))
        base = SHARED_URL.rsplit("/", 1)[0]
        self.url = f"{base}/{self._shared_db}"
        self.port = int(base.rsplit(":", 1)[1]) if base.count(":") >= 2 else 5432
        self.why_not = f"a shared PostgreSQL at {base} ({reason}): it is not restarted"

    @staticmethod
    async def _admin(statement: str) -> None:
        conn = await asyncpg.connect(SHARED_URL, timeout=10)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
