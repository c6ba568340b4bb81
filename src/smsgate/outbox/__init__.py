"""The outbox's one consumer: claims items, hands them to their channel (HTTP callbacks, SMPP
deliver_sm), retries by one policy and keeps what it gives up on as visible, replayable dead
letters (docs/outbox.md)."""

from smsgate.outbox.channel import OutboxChannel, Outcome, Scope
from smsgate.outbox.consumer import ConsumerConfig, OutboxConsumer
from smsgate.outbox.policy import RetryPolicy

__all__ = ["ConsumerConfig", "OutboxChannel", "OutboxConsumer", "Outcome", "RetryPolicy", "Scope"]
