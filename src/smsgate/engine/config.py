"""The engine's settings (the [engine] table of the configuration file)."""

from dataclasses import dataclass


@dataclass
class EngineConfig:
    default_sender: str = "smsgate"
    default_validity: float = 14_400.0
    max_validity: float = 14_400.0
    max_schedule_ahead: float = 30 * 86_400.0
    max_segments: int = 10
    queue_capacity: int = 100_000
    mo_reassembly_timeout: float = 300.0  # seconds before a concatenated MO is stored partial
    identical_window: float = 60.0  # seconds the same message is refused again; 0: off
    currency: str = "EUR"  # of accounts that name none (prices and balances)
    default_country: str | None = None
    live_limit: int = 200_000  # messages kept in memory (the rest is read back from the store)
