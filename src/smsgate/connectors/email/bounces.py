"""Bounces taken by the gateway's SMTP server, handed to the e-mail connector whose part they
name.

    intake = BounceIntake(lambda: connectors)  # the e-mail connectors running now
    target = intake.recipient(rcpt_to)         # at RCPT TO
    if target is NOT_BOUNCE: ...               # another kind of mail (a command)
    elif target is FORGED: ...                 # a bounce address, but no part signed in it
    else: outcome = await intake.take([target], data)   # at DATA

A failed report makes the part undelivered (`EmailConnector.bounced`); a delayed one changes
nothing and is counted (the relay still tries, and its final word comes later); delivered,
relayed and expanded ones change nothing either (the part is delivered already).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from smsgate.connectors.email.connector import EmailConnector
from smsgate.connectors.email.dsn import delivery_status
from smsgate.connectors.email.verp import is_bounce_address, verp_key
from smsgate.engine.ports import PartKey


class Recipient(Enum):
    NOT_BOUNCE = "not a bounce address"
    FORGED = "a bounce address without a valid signature"


@dataclass(frozen=True, slots=True)
class BounceTarget:
    """A part a bounce address names, and the connector that sent it."""

    connector: EmailConnector
    key: PartKey


class BounceOutcome(StrEnum):
    FAILED = "failed"  # the parts are undelivered now
    DELAYED = "delayed"  # nothing changed
    OTHER = "other"  # delivered, relayed or expanded: nothing changed
    NOT_TAKEN = "not_taken"  # the engine did not take the report: to be sent again


@dataclass
class BounceIntake:
    # the e-mail connectors running now (the set changes when connectors are reconfigured);
    # those without a bounce_address are passed over
    connectors: Callable[[], Iterable[EmailConnector]]
    counters: dict[str, int] = field(
        default_factory=lambda: {
            "failed": 0,
            "delayed": 0,
            "other": 0,
            "not_taken": 0,
            "forged": 0,
            "malformed": 0,
        }
    )

    def recipient(self, address: str) -> BounceTarget | Recipient:
        """What a RCPT TO address is: a part's bounce address, a forged one, or not one."""
        forged = False
        for connector in self.connectors():
            config = connector.config
            if config.bounce_address is None or config.bounce_secret is None:
                continue
            if not is_bounce_address(address, config.bounce_address):
                continue
            key = verp_key(address, config.bounce_address, config.bounce_secret)
            if key is not None:
                return BounceTarget(connector, key)
            forged = True  # another connector may share the address under its own secret
        if forged:
            self.counters["forged"] += 1
            return Recipient.FORGED
        return Recipient.NOT_BOUNCE

    async def take(self, targets: Sequence[BounceTarget], data: bytes) -> BounceOutcome:
        """Apply the DSN in `data` to the parts it was sent for. Raises MalformedReportError
        (counted) when it is no delivery status notification."""
        try:
            report = delivery_status(data)
        except ValueError:
            self.counters["malformed"] += 1
            raise
        outcome = report.outcome
        if outcome.action != "failed":
            kind = BounceOutcome.DELAYED if outcome.action == "delayed" else BounceOutcome.OTHER
            self.counters[kind.value] += 1
            return kind
        taken = [await t.connector.bounced(t.key, outcome) for t in targets]
        kind = BounceOutcome.FAILED if all(taken) else BounceOutcome.NOT_TAKEN
        self.counters[kind.value] += 1
        return kind


__all__ = ["BounceIntake", "BounceOutcome", "BounceTarget", "Recipient"]
