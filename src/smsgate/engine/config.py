"""The engine's settings (the [engine] table of the configuration file)."""

from dataclasses import dataclass


@dataclass
class EngineConfig:
    default_sender: str = "smsgate"  # of messages that name none
    default_validity: float = 14_400.0  # seconds a message stays valid unless it says
    max_validity: float = 14_400.0  # seconds; a longer validity is refused
    max_schedule_ahead: float = 30 * 86_400.0  # seconds; a later scheduled_at is refused
    max_segments: int = 10  # a longer text is refused (message_too_long)
    queue_capacity: int = 100_000  # messages waiting to be sent; past it queue_full
    mo_reassembly_timeout: float = 300.0  # seconds before a concatenated MO is stored partial
    identical_window: float = 60.0  # seconds the same message is refused again; 0: off
    currency: str = "EUR"  # of accounts that name none (prices and balances)
    default_country: str | None = None  # ISO code of numbers given in national form
    receipt_timeout_interval: float = 60.0  # seconds between looks for receipts that never came
    live_limit: int = 200_000  # messages kept in memory (the rest is read back from the store)
    # seconds a message with a fallback (RCS, then SMS) waits on a channel to be delivered
    # before it is revoked there and sent by the next channel
    channel_ttl: float = 600.0
    channel_timeout_interval: float = 0.25  # seconds between looks for channel times run out
    # seconds between looks at the store for configuration changed elsewhere (accounts, keys,
    # routes, carrier prefixes, portability, prices, opt-outs: by another node or the CLI); 0:
    # never, a change then takes effect at the next start
    config_poll_interval: float = 1.0
