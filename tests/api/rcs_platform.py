"""What the end-to-end RCS tests do to the built-in RCS platform, whichever API sent the
message: lose its reports for a while."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from smsgate.simulator.rcs import RcsSimulator


def closed_port_url() -> str:
    """A loopback URL nothing listens on (a port just freed): a request there is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone"


@contextmanager
def reports_lost(platform: RcsSimulator) -> Iterator[None]:
    """While inside, the platform's webhooks go nowhere: the gateway hears of no delivery
    and still sees its messages sent; afterwards they reach the gateway again."""
    config = platform.config
    gateway_url, config.webhook_url = config.webhook_url, closed_port_url()
    try:
        yield
    finally:
        config.webhook_url = gateway_url
