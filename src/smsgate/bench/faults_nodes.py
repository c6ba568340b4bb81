"""The fault campaign's gateway nodes: `smsgate serve` processes sharing one store, each on a
fixed loopback HTTP port (a restarted node comes back where it was), each with its own
configuration file."""

import asyncio
import signal
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Final

from smsgate.bench.processes import Child, free_port, http_address, start, stop
from smsgate.config import Config
from smsgate.store import is_postgres_url

# whether this gateway runs several nodes on one PostgreSQL as a cluster (node ids, bind
# leases, takeover): its settings say so
CLUSTERED: Final = "lease_ttl" in {f.name for f in fields(Config)}


@dataclass(frozen=True)
class NodeSettings:
    """What every node of a scenario shares."""

    carrier_port: int
    carrier_password: str
    window: int = 50
    # the outbox's retry schedule, scaled down by the scenario (docs/faults.md)
    first_retry: float = 2.0
    max_delay: float = 3600.0
    # seconds a claimed outbox item stays hidden: an item whose outcome could not be written
    # (the store was away) is tried again after it
    outbox_lease: float = 60.0
    # on PostgreSQL, where the gateway runs as a cluster: how long a dead node's binds and
    # messages wait before others take them (the gateway's lease_ttl)
    lease_ttl: float = 10.0
    extra_top: str = ""  # more top-level TOML lines (sqlite_max_bytes, cluster settings)


@dataclass
class Node:
    name: str
    db: str  # a SQLite file, or the DSN this node uses (through its proxy, maybe)
    settings: NodeSettings
    workdir: Path
    http_port: int = field(default_factory=free_port)
    process: Child | None = None
    log: str = ""  # what it printed when it last stopped or died

    @property
    def config(self) -> Path:
        return self.workdir / f"{self.name}.toml"

    def write_config(self) -> Path:
        s = self.settings
        cluster = ""
        if is_postgres_url(self.db) and CLUSTERED:
            # named after the bench's node, so the leases table says which one holds the bind
            cluster = f'node_id = "{self.name}"\nlease_ttl = {s.lease_ttl}\n'
        self.config.write_text(
            f'db = "{self.db}"\nhttp_port = {self.http_port}\nsmpp_port = 0\n'
            f"{cluster}{s.extra_top}\n"
            # the receiver is on loopback, which the default deny list refuses
            f"[callbacks]\ndeny_networks = []\nfirst_retry = {s.first_retry}\n"
            f"max_delay = {s.max_delay}\nmax_attempts = 30\nlease = {s.outbox_lease}\n\n"
            f'[[connectors]]\nid = "carrier"\nhost = "127.0.0.1"\nport = {s.carrier_port}\n'
            f'system_id = "smsgate"\npassword = "{s.carrier_password}"\nwindow = {s.window}\n'
            "reconnect_min = 0.1\nreconnect_max = 1.0\n"
            "throttle_pause_min = 0.05\nthrottle_pause_max = 0.5\n\n"
            '[[routes]]\nid = "all"\nconnectors = [{id = "carrier"}]\n'
        )
        return self.config

    @property
    def up(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def start(self) -> None:
        self.write_config()
        self.process, banner = await asyncio.to_thread(
            start, ["serve", "--config", str(self.config)]
        )
        host, port = http_address(banner)
        assert (host, port) == ("127.0.0.1", self.http_port), banner

    async def kill(self) -> None:
        """kill -9: no drain, no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait)
        self.log = "".join(self.process.tail)

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.log = await asyncio.to_thread(stop, self.process)
