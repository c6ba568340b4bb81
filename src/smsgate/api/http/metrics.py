"""Prometheus text exposition of the engine's and connectors' figures."""

from collections.abc import Mapping
from dataclasses import dataclass

from smsgate.engine.gateway import Gateway


@dataclass(frozen=True, slots=True)
class EmailFigures:
    """The SMTP server's counters (sending by e-mail, and the e-mail connectors' bounces),
    when it runs: they live on it, not in the engine."""

    commands: Mapping[str, int]  # accepted, refused, replies_dropped
    bounces: Mapping[str, int] | None  # by result; None: no bounces are read


def render_metrics(gateway: Gateway, email: EmailFigures | None = None) -> str:
    c = gateway.counters
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP smsgate_{name} {help_text}")
        lines.append(f"# TYPE smsgate_{name} {kind}")
        for labels, value in samples:
            lines.append(f"smsgate_{name}{labels} {value:g}")

    metric("messages_accepted_total", "counter", "Messages accepted", [("", c.accepted)])
    metric(
        "messages_rejected_total", "counter", "Messages refused at acceptance", [("", c.rejected)]
    )
    metric(
        "messages_refused_total",
        "counter",
        "Messages refused at acceptance by error code (identical, insufficient_balance, ...)",
        [(f'{{code="{code}"}}', n) for code, n in sorted(c.refused.items())],
    )
    metric(
        "identical_window_entries",
        "gauge",
        "Requests remembered by the identical-request window",
        [("", len(gateway.acceptance.identical))],
    )
    metric(
        "messages_accepted_by_channel_total",
        "counter",
        "Messages accepted by the channel they were accepted for (sms, rcs, email, ...)",
        [(f'{{channel="{name}"}}', n) for name, n in sorted(c.by_channel.items())],
    )
    metric(
        "messages_fell_back_total",
        "counter",
        "Messages moved to their next channel (RCS to SMS, ...)",
        [("", c.fell_back)],
    )
    metric(
        "messages_revoked_total",
        "counter",
        "Messages taken back from a channel whose time ran out",
        [("", c.revoked)],
    )
    metric(
        "user_events_total",
        "counter",
        "A rich channel's users' messages, taps and subscriptions, by kind",
        [(f'{{kind="{kind}"}}', n) for kind, n in sorted(c.user_events.items())],
    )
    metric("parts_submitted_total", "counter", "Parts accepted by a carrier", [("", c.submitted)])
    metric("parts_failed_total", "counter", "Parts refused by a carrier", [("", c.failed)])
    metric(
        "messages_expired_total", "counter", "Messages expired before sending", [("", c.expired)]
    )
    metric(
        "receipts_total",
        "counter",
        "Delivery receipts by state",
        [(f'{{state="{state.lower()}"}}', n) for state, n in sorted(c.receipts.items())],
    )
    metric(
        "receipts_unmatched_total",
        "counter",
        "Receipts matching no part",
        [("", c.receipts_unmatched)],
    )
    metric("inbound_total", "counter", "Inbound (MO) PDUs taken (each part)", [("", c.inbound)])
    mo = gateway.inbound_desk.counts
    metric(
        "inbound_messages_total",
        "counter",
        "Inbound (MO) messages stored, whole or partial",
        [
            ('{kind="complete"}', mo["messages"] - mo["partial"]),
            ('{kind="partial"}', mo["partial"]),
        ],
    )
    metric(
        "inbound_unclaimed_total",
        "counter",
        "Inbound messages to a number no account owns",
        [("", mo["unclaimed"])],
    )
    metric(
        "inbound_open_messages",
        "gauge",
        "Concatenated MO waiting for parts",
        [("", len(gateway.inbound_desk.reassembler))],
    )
    metric("opt_outs", "gauge", "Numbers opted out, all accounts", [("", len(gateway.opt_outs))])
    metric(
        "queue_depth", "gauge", "Messages waiting for a connector", [("", len(gateway.dispatcher))]
    )
    metric(
        "store_backlog",
        "gauge",
        "Changes waiting to be committed",
        [("", gateway.writer.backlog + gateway.queries.store_backlog)],
    )
    connectors = sorted(gateway.connectors.items())
    metric(
        "connector_binds_up",
        "gauge",
        "Bound connections per connector",
        [(f'{{connector="{cid}"}}', conn.links_up) for cid, conn in connectors],
    )
    metric(
        "connector_window_in_use",
        "gauge",
        "submit_sm awaiting a response",
        [(f'{{connector="{cid}"}}', conn.in_flight) for cid, conn in connectors],
    )
    metric(
        "connector_queue_depth",
        "gauge",
        "Parts queued in the connector",
        [(f'{{connector="{cid}"}}', conn.queue_depth) for cid, conn in connectors],
    )
    metric(
        "connector_parts_submitted_total",
        "counter",
        "Parts accepted by a carrier, per connector",
        [(f'{{connector="{cid}"}}', c.submitted_by.get(cid, 0)) for cid, _ in connectors],
    )
    metric(
        "connector_parts_failed_total",
        "counter",
        "Parts refused by a carrier, per connector",
        [(f'{{connector="{cid}"}}', c.failed_by.get(cid, 0)) for cid, _ in connectors],
    )
    metric(
        "outbox_dead_letters_total",
        "counter",
        "Outbox items given up (abandoned) since start, by channel; replayable",
        [(f'{{channel="{name}"}}', n) for name, n in sorted(c.outbox_dead_letters.items())],
    )
    if email is not None:
        commands = email.commands
        metric(
            "email_commands_total",
            "counter",
            "Messages with commands taken by the SMTP server, by answer (accepted: 250)",
            [(f'{{result="{r}"}}', commands.get(r, 0)) for r in ("accepted", "refused")],
        )
        metric(
            "email_replies_dropped_total",
            "counter",
            "Answers by e-mail not sent: too many pending",
            [("", commands.get("replies_dropped", 0))],
        )
    if email is not None and email.bounces is not None:
        metric(
            "email_bounces_total",
            "counter",
            "E-mail bounces (DSNs) taken by the SMTP server, by result (failed: the message"
            " made undelivered; delayed; other: delivered, relayed or expanded; not_taken: not"
            " stored, to be sent again; forged: a bounce address with a wrong signature;"
            " malformed: no delivery status notification)",
            [(f'{{result="{r}"}}', n) for r, n in sorted(email.bounces.items())],
        )
    node, cluster = gateway.node, gateway.node.counters
    label = f'{{node="{node.id}"}}'
    metric(
        "node_ready",
        "gauge",
        "1 while this node takes work (/readyz 200); 0 starting, draining or fenced",
        [(label, 1 if node.ready else 0)],
    )
    held: list[tuple[str, float]] = [(label, len(node.held))]
    metric("node_leases_held", "gauge", "Upstream bind leases this node holds", held)
    for name, help_text, value in (
        ("leases_acquired", "Bind leases taken (free, expired or released by another node)",
         cluster.leases_acquired),
        ("leases_lost", "Bind leases not renewed in time (the bind stopped here)",
         cluster.leases_lost),
        ("leases_released", "Bind leases given up at a drain", cluster.leases_released),
        ("messages_taken_over", "Unfinished messages claimed from nodes dead or gone",
         cluster.messages_taken_over),
        ("messages_handed_over", "Messages given to the node holding their route's bind",
         cluster.messages_handed_over),
        ("messages_handed_in", "Messages taken from this node's inbox (handed over to it)",
         cluster.messages_handed_in),
        ("parts_requeued_lost_bind",
         "Parts in flight on a bind whose lease was lost, queued again (possible duplicates)",
         cluster.parts_requeued_lost_bind),
        ("fenced", "Times this node was cut off from the database and dropped its work",
         cluster.fenced),
        ("outbox_claims_released",
         "Outbox items claimed by dead nodes made due again at a takeover",
         cluster.outbox_claims_released),
    ):  # fmt: skip
        metric(f"node_{name}_total", "counter", help_text, [(label, value)])
    latency = gateway.submit_latency
    metric(
        "submit_latency_seconds",
        "summary",
        "Acceptance to submit_sm_resp",
        [
            ('{quantile="0.5"}', latency.quantile(0.5)),
            ('{quantile="0.99"}', latency.quantile(0.99)),
            ("_count", latency.count),
        ],
    )
    return "\n".join(lines) + "\n"
