"""What the engine counts (exported as Prometheus metrics)."""

from dataclasses import dataclass, field


@dataclass
class Counters:
    accepted: int = 0
    rejected: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # messages refused, by error code
    submitted: int = 0
    failed: int = 0
    # the same two by connector id (`smsgate connectors` shows them)
    submitted_by: dict[str, int] = field(default_factory=dict)
    failed_by: dict[str, int] = field(default_factory=dict)
    expired: int = 0
    receipts: dict[str, int] = field(default_factory=dict)
    receipts_unmatched: int = 0
    receipts_backwards: int = 0
    inbound: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)  # messages accepted, by channel
    fell_back: int = 0  # messages moved to their next channel
    revoked: int = 0  # messages taken back from a channel whose time ran out
    user_events: dict[str, int] = field(default_factory=dict)  # rich channels' users, by kind
    outbox_dead_letters: dict[str, int] = field(default_factory=dict)  # by channel
