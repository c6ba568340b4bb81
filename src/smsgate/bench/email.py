"""`smsgate bench email`: e-mails per second through the e-mail connector to an SMTP relay.

The simulated relay (`smsgate.simulator.smtp_relay`, aiosmtpd, answering at once) runs in a
process of its own; the connector runs in this one with `--connections` sessions kept open
(each sending one message at a time, as SMTP without pipelining does). Each round submits
`--messages` parts (a Cyrillic text with a subject) and waits for every one to be taken by the
relay and reported delivered. Reported per session count: the best round's e-mails per second
and this process's CPU seconds per 1,000 e-mails (the connector's cost: MIME building, the SMTP
client, the reports).
"""

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from smsgate.connectors.email import EmailConnector, EmailConnectorConfig
from smsgate.engine.ports import DeliveryReport, InboundPart, OutboundPart, PartKey, UserEvent
from smsgate.simulator.smtp_relay import SmtpRelayConfig, SmtpRelaySimulator

TEXT = "Здравствуйте! Ваш заказ 4711 передан в доставку. Код получения: 5830."
ROUND_TIMEOUT = 60.0  # a round that takes longer has stalled


class _Outcomes:
    """The engine's side: counts outcomes and wakes the round once all are in."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.delivered = 0
        self.refused = 0
        self.done = asyncio.Event()

    def accepted(self, key: PartKey, carrier_id: str, connector_id: str) -> None:
        """Counted by its report."""

    def failed(self, key: PartKey, error: str, detail: str, *, permanent: bool) -> None:
        self.refused += 1
        self._check()

    async def receipt(self, connector_id: str, report: DeliveryReport) -> None:
        self.delivered += 1
        self._check()

    async def inbound(self, connector_id: str, part: InboundPart) -> None:
        raise AssertionError("no inbound on the e-mail channel")

    async def user_event(self, connector_id: str, event: UserEvent) -> None:
        raise AssertionError("no user events on the e-mail channel")

    def _check(self) -> None:
        if self.delivered + self.refused >= self.expected:
            self.done.set()


def _serve_relay(pipe: Connection) -> None:
    """The relay's process: listens, tells its port, serves until told to stop."""

    async def serve() -> None:
        relay = SmtpRelaySimulator(SmtpRelayConfig(port=0, mailboxes=10, mailbox_messages=1))
        pipe.send(await relay.start())
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        await relay.stop()

    asyncio.run(serve())


async def _round(port: int, connections: int, messages: int, round_no: int) -> dict[str, Any]:
    config = EmailConnectorConfig(
        id="bench",
        host="127.0.0.1",
        port=port,
        from_address="noreply@gateway.example",
        starttls=False,
        connections=connections,
        queue_size=messages,
        messages_per_connection=1_000_000,
    )
    connector = EmailConnector(config)
    outcomes = _Outcomes(messages)
    await connector.start(outcomes)
    try:
        if not await connector.wait_up(10.0):
            raise RuntimeError("the relay did not take a session")
        parts = [
            OutboundPart(
                key=PartKey(f"r{round_no}m{n}", 1),
                source="Shop",
                destination=f"user{n % 1000}@example.com",
                body=b"",
                text=TEXT,
                content={"subject": "Ваш заказ"},
                channel="email",
            )
            for n in range(messages)
        ]
        cpu, wall = time.process_time(), time.perf_counter()
        for part in parts:
            if not connector.submit(part):
                raise RuntimeError("the connector refused a part")
        await asyncio.wait_for(outcomes.done.wait(), ROUND_TIMEOUT)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await connector.stop(5.0)
    return {
        "connections": connections,
        "round": round_no,
        "per_s": messages / wall,
        "cpu_s_per_1k": cpu / messages * 1000,
        "delivered": outcomes.delivered,
        "refused": outcomes.refused,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate bench email", description=__doc__)
    parser.add_argument("--messages", type=int, default=2_000, help="e-mails per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per session count")
    parser.add_argument(
        "--connections", default="1,4", help="session counts to measure, comma-separated"
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    counts = [int(c) for c in args.connections.split(",") if c.strip()]
    if args.messages < 1 or args.rounds < 1 or not counts or min(counts) < 1:
        print("--messages, --rounds and --connections must be positive", file=sys.stderr)
        return 2
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    relay = context.Process(target=_serve_relay, args=(theirs,), daemon=True)
    relay.start()
    try:
        if not ours.poll(30.0):
            raise RuntimeError("the relay did not start")
        port = ours.recv()
        rounds = [
            asyncio.run(_round(port, connections, args.messages, n))
            for connections in counts
            for n in range(args.rounds)
        ]
    finally:
        ours.send("stop")
        relay.join(10.0)
        if relay.is_alive():
            relay.kill()
    best = {str(c): max(r["per_s"] for r in rounds if r["connections"] == c) for c in counts}
    report = {
        "messages_per_round": args.messages,
        "python": sys.version.split()[0],
        "rounds": rounds,
        "best_per_s": best,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{'sessions':>8} {'round':>5} {'e-mails/s':>10} {'CPU s/1k':>9} {'delivered':>10}")
    for r in rounds:
        print(
            f"{r['connections']:>8} {r['round']:>5} {r['per_s']:>10,.0f}"
            f" {r['cpu_s_per_1k']:>9.3f} {r['delivered']:>10}"
        )
    print("best: " + ", ".join(f"{c} sessions {v:,.0f}/s" for c, v in best.items()))
    return 0
