"""Kannel (bearerbox and smsbox) as the other gateway of `smsgate bench kannel`: its
configuration against the simulated carrier, its processes, and its admin status page.

Kannel's queue is its `store-type = file` store: bearerbox appends each message to the file
and flushes it to the kernel, but never fsyncs it, so an accepted message survives a kill of
the process and not a loss of power (checked under strace: no fsync or fdatasync at all).
"""

import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from smsgate.bench.processes import free_port

BEARERBOX = shutil.which("bearerbox", path="/usr/sbin:/usr/bin")
SMSBOX = shutil.which("smsbox", path="/usr/sbin:/usr/bin")
MISSING = "Kannel is not installed (`make kannel` installs it where apt-get can)"
SENDSMS_USER, SENDSMS_PASSWORD = "bench", "bench-pw"
ADMIN_PASSWORD = "bench-admin"
STORE_NOTE = (
    "Kannel: store-type = file, appended and flushed without fsync: survives a process kill, "
    "not a power loss"
)
_STOP_TIMEOUT = 10.0
_STATUS_TIMEOUT = 5.0
_SMS = re.compile(r"SMS: received (\d+) \((\d+) queued\), sent (\d+) \((\d+) queued\)")
_DLR = re.compile(r"DLR: received (\d+)")


@dataclass(frozen=True)
class KannelPorts:
    box: int  # bearerbox's port for smsbox
    admin: int  # bearerbox's HTTP admin interface (status)
    sendsms: int  # smsbox's HTTP sendsms interface

    @classmethod
    def free(cls) -> "KannelPorts":
        return cls(free_port(), free_port(), free_port())


def kannel_config(
    directory: Path,
    ports: KannelPorts,
    *,
    carrier_port: int,
    carrier_password: str,
    window: int,
    mo_url: str | None,
) -> Path:
    """bearerbox and smsbox in one file: one SMPP transceiver bind to the carrier with `window`
    submits outstanding, a file store, sendsms for the load, and (`mo_url`) an sms-service that
    GETs every MO from that URL without answering the handset."""
    service = ""
    if mo_url is not None:
        service = (
            "group = sms-service\nkeyword = default\ncatch-all = true\n"
            f'get-url = "{mo_url}?from=%p&to=%P&text=%a"\n'
            "max-messages = 0\nomit-empty = true\n\n"
        )
    path = directory / "kannel.conf"
    path.write_text(
        f"""group = core
admin-port = {ports.admin}
admin-password = {ADMIN_PASSWORD}
status-password = {ADMIN_PASSWORD}
smsbox-port = {ports.box}
box-allow-ip = 127.0.0.1
admin-allow-ip = 127.0.0.1
log-file = "{directory}/bearerbox.log"
log-level = 2
dlr-storage = internal
store-type = file
store-location = "{directory}/kannel.store"

group = smsc
smsc = smpp
smsc-id = carrier
host = 127.0.0.1
port = {carrier_port}
transceiver-mode = true
smsc-username = smsgate
smsc-password = {carrier_password}
system-type = VMA
interface-version = 34
source-addr-ton = 1
source-addr-npi = 1
dest-addr-ton = 1
dest-addr-npi = 1
max-pending-submits = {window}
enquire-link-interval = 30
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports.box}
sendsms-port = {ports.sendsms}
log-file = "{directory}/smsbox.log"
log-level = 2

group = sendsms-user
username = {SENDSMS_USER}
password = {SENDSMS_PASSWORD}

{service}"""
    )
    return path


def sendsms_path(i: int) -> str:
    """Kannel's sendsms request for message `i`: the same numbers and text smsgate gets, and a
    receipt asked for (dlr-mask 3), as smsgate asks one for every message."""
    return (
        f"/cgi-bin/sendsms?username={SENDSMS_USER}&password={SENDSMS_PASSWORD}"
        f"&from=447700900123&to=8190{i % 100_000_000:08d}"
        f"&text={quote(f'bench message {i}')}&dlr-mask=3"
    )


@dataclass(frozen=True)
class KannelStatus:
    received: int  # MO from the carrier
    sent: int  # MT the carrier accepted
    queued: int  # both directions' queues
    dlr_received: int  # receipts from the carrier


def _box(program: str, config: Path) -> subprocess.Popen[bytes]:
    with (config.parent / f"{Path(program).name}.out").open("w") as out:
        return subprocess.Popen([program, str(config)], stdout=out, stderr=out)


def _halt(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Kannel:
    """bearerbox and smsbox running on `config`; `stop` ends both."""

    def __init__(self, config: Path, ports: KannelPorts) -> None:
        if BEARERBOX is None or SMSBOX is None:
            raise RuntimeError(MISSING)
        self.config, self.ports = config, ports
        self.bearerbox = _box(BEARERBOX, config)
        self.smsbox: subprocess.Popen[bytes] | None = None

    def start_smsbox(self) -> None:
        """smsbox gives up at once if bearerbox is not listening yet: start it once bound."""
        assert SMSBOX is not None
        self.smsbox = _box(SMSBOX, self.config)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in (self.bearerbox, self.smsbox) if p is not None]

    def status_text(self) -> str:
        url = f"http://127.0.0.1:{self.ports.admin}/status.txt?password={ADMIN_PASSWORD}"
        with urllib.request.urlopen(url, timeout=_STATUS_TIMEOUT) as response:
            return str(response.read().decode("latin-1"))

    def status(self) -> KannelStatus:
        text = self.status_text()
        sms, dlr = _SMS.search(text), _DLR.search(text)
        if sms is None or dlr is None:
            raise RuntimeError("no SMS and DLR counters in Kannel's status page")
        received, queued_in, sent, queued_out = map(int, sms.groups())
        return KannelStatus(received, sent, queued_in + queued_out, int(dlr.group(1)))

    def wait_online(self, timeout: float) -> None:
        """Until bearerbox's bind to the carrier is up (its status says "online")."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.bearerbox.poll() is not None:
                raise RuntimeError(f"bearerbox exited ({self.bearerbox.returncode})")
            try:
                if re.search(r"carrier\[carrier\].*\(online", self.status_text()):
                    return
            except (OSError, urllib.error.URLError):
                pass  # still starting
            time.sleep(0.1)
        raise RuntimeError("Kannel did not bind to the carrier in time")

    def wait_smsbox(self, timeout: float) -> None:
        """Until smsbox is connected to bearerbox: its HTTP port listens before that, and a
        request it takes meanwhile fails."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.smsbox is not None and self.smsbox.poll() is not None:
                raise RuntimeError(f"smsbox exited ({self.smsbox.returncode})")
            try:
                if re.search(r"smsbox:.*on-line", self.status_text()):
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise RuntimeError("smsbox did not connect to bearerbox in time")

    def stop(self) -> None:
        if self.smsbox is not None:
            _halt(self.smsbox)
        _halt(self.bearerbox)
