"""What stands in a stopped connector's place while the engine runs: never up, takes nothing.

An operator stops one connector (`Gateway.stop_connector`) and starts it again later; in
between, dispatch, metrics and the console see this one under the connector's id, so its
messages wait in the queue (no route has it up) instead of being handed to a closed link.
"""

from dataclasses import dataclass

from smsgate.engine.ports import ConnectorEvents, OutboundPart


@dataclass(frozen=True, slots=True)
class StoppedConnector:
    name: str
    channel: str  # the stopped connector's, so the channel's dispatch still knows it exists
    stopped_at: float

    @property
    def id(self) -> str:
        return self.name

    @property
    def is_up(self) -> bool:
        return False

    @property
    def links_up(self) -> int:
        return 0

    @property
    def capacity(self) -> int:
        return 0

    @property
    def queue_depth(self) -> int:
        return 0

    @property
    def in_flight(self) -> int:
        return 0

    async def start(self, events: ConnectorEvents) -> None:
        """Nothing to start: `Gateway.start_connector` builds a fresh connector instead."""

    def submit(self, part: OutboundPart) -> bool:
        return False

    async def stop(self, drain_timeout: float) -> list[OutboundPart]:
        return []
