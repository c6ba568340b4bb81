"""The routing configuration as kept in rows: connectors, routes, carrier prefixes and ported
numbers. `smsgate.domain.routing` and `smsgate.domain.carriers` give them their meaning."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ConnectorRow:
    id: str
    kind: str
    config: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class RouteRow:
    id: str
    position: int  # routes are tried in ascending position
    spec: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable


@dataclass(frozen=True, slots=True)
class PrefixRow:
    prefix: str
    carrier: str
    source: str  # where the row came from (a numbering-plan file, an operator's edit, ...)


@dataclass(frozen=True, slots=True)
class PortabilityRow:
    number: str
    carrier: str
    updated_at: float
