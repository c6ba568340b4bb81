"""`smsgate bench bind`: one bind's submit_sm throughput against a carrier that answers late.

The simulated carrier answers every submit_sm after `--latency` seconds. A bind that waits for
each answer manages 1/latency messages per second; with a window of W outstanding requests the
ceiling is W/latency (2,000/s for W=100 and 50 ms). The benchmark keeps the connector's queue
full for `--duration` seconds after a warm-up and reports what one bind achieved as a share of
that ceiling, for the window asked for and for a window of 1 as the comparison.

By default the simulator runs in a child process, so that its CPU time does not come out of the
connector's and the figure is the connector's own; `--in-process` puts both on one event loop.
"""

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from smsgate.connectors.smpp import ConnectorConfig, SmppConnector
from smsgate.engine.ports import DeliveryReport, InboundPart, OutboundPart, PartKey, UserEvent
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.session import SessionConfig

TARGET_PERCENT = 90.0
REFERENCE = "reference on these machines: Jasmin ~20/s (window 1), Kannel 1,637/s (window 100)"
_CHILD_START_TIMEOUT = 30.0


@dataclass
class RunResult:
    window: int
    latency_ms: float
    seconds: float
    submitted: int
    per_second: float
    ceiling_per_second: float
    percent: float
    throttled: int
    failed: int


class _Feeder:
    """The engine's part in the benchmark: keeps the connector's queue full and counts."""

    def __init__(self, receipts: bool) -> None:
        self.connector: SmppConnector | None = None
        self.count = 0
        self.next = 0
        self.receipts = receipts

    def part(self) -> OutboundPart:
        self.next += 1
        return OutboundPart(
            key=PartKey(f"b{self.next}", 1),
            source="447700900123",
            source_ton=1,
            source_npi=1,
            destination="819012345678",
            body=b"benchmark message",
            receipt=self.receipts,
        )

    def top_up(self) -> None:
        connector = self.connector
        assert connector is not None
        # checking the depth first saves building a part the full queue would refuse
        while connector.queue_depth < connector.config.queue_size:
            if not connector.submit(self.part()):
                return  # stopping

    def accepted(self, key: PartKey, carrier_id: str, connector_id: str) -> None:
        self.count += 1
        self.top_up()

    def failed(self, key: PartKey, error: str, detail: str, *, permanent: bool) -> None:
        self.top_up()

    async def receipt(self, connector_id: str, report: DeliveryReport) -> None:
        pass

    async def inbound(self, connector_id: str, part: InboundPart) -> None:
        pass

    async def user_event(self, connector_id: str, event: UserEvent) -> None:
        pass  # an SMPP carrier has none


async def _measure(port: int, window: int, args: argparse.Namespace) -> RunResult:
    feeder = _Feeder(args.receipts)
    config = ConnectorConfig(
        id="bench",
        host="127.0.0.1",
        port=port,
        system_id="bench",
        password="bench",
        window=window,
        queue_size=max(1000, 2 * window),
        response_timeout=max(10.0, 20 * args.latency),
    )
    connector = SmppConnector(config)
    feeder.connector = connector
    loop = asyncio.get_running_loop()
    await connector.start(feeder)
    try:
        feeder.top_up()
        await asyncio.sleep(args.warmup)  # the measured interval is a duration by definition
        start, before = loop.time(), feeder.count
        await asyncio.sleep(args.duration)
        seconds, submitted = loop.time() - start, feeder.count - before
    finally:
        await connector.stop(drain_timeout=2.0 + 2 * args.latency)
    ceiling = window / args.latency
    rate = submitted / seconds
    return RunResult(
        window=window,
        latency_ms=args.latency * 1000,
        seconds=round(seconds, 3),
        submitted=submitted,
        per_second=round(rate, 1),
        ceiling_per_second=round(ceiling, 1),
        percent=round(100 * rate / ceiling, 1),
        throttled=connector.stats.throttled,
        failed=connector.stats.failed,
    )


def _simulator_config(latency: float, peer_window: int) -> SimulatorConfig:
    return SimulatorConfig(
        port=0,
        response_latency=latency,
        receipt_delay=0.05,
        session=SessionConfig(
            enquire_link_interval=None, inactivity_timeout=300, peer_window=peer_window
        ),
    )


async def _serve_simulator(args: argparse.Namespace) -> None:
    """The child process: run the simulator, print its port, stop when stdin closes."""
    simulator = SmscSimulator(_simulator_config(args.latency, args.peer_window))
    await simulator.start()
    print(f"port {simulator.config.port}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()  # EOF: the parent is done (or gone)
    await simulator.stop()


async def _run(args: argparse.Namespace) -> list[RunResult]:
    windows = [args.window] + ([args.compare_window] if args.compare_window else [])
    peer_window = max(windows) + 10
    if args.in_process:
        simulator = SmscSimulator(_simulator_config(args.latency, peer_window))
        await simulator.start()
        try:
            return [await _measure(simulator.config.port, w, args) for w in windows]
        finally:
            await simulator.stop()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "smsgate.bench.bind",
        "--serve-simulator",
        "--latency",
        str(args.latency),
        "--peer-window",
        str(peer_window),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), _CHILD_START_TIMEOUT)
        if not line.startswith(b"port "):
            raise RuntimeError(f"simulator process did not start: {line!r}")
        port = int(line.split()[1])
        return [await _measure(port, w, args) for w in windows]
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 10.0)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()


def _table(results: list[RunResult], args: argparse.Namespace) -> str:
    where = "in this process" if args.in_process else "in a child process"
    lines = [
        f"one bind, simulator answering after {args.latency * 1000:g} ms ({where}), "
        f"{args.duration:g} s measured after {args.warmup:g} s warm-up",
        f"{'window':>6}  {'msg/s':>9}  {'ceiling/s':>9}  {'of ceiling':>10}  {'submitted':>9}",
    ]
    for r in results:
        lines.append(
            f"{r.window:>6}  {r.per_second:>9.1f}  {r.ceiling_per_second:>9.1f}  "
            f"{r.percent:>9.1f}%  {r.submitted:>9}"
        )
    main = results[0]
    verdict = "meets" if main.percent >= TARGET_PERCENT else "MISSES"
    lines.append(f"window {main.window}: {verdict} the target of {TARGET_PERCENT:g}% of ceiling")
    lines.append(REFERENCE)
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate bench bind", description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds (default 0.05)")
    parser.add_argument("--window", type=int, default=100, help="default 100")
    parser.add_argument("--compare-window", type=int, default=1, help="0 to skip; default 1")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--receipts", action="store_true", help="ask for delivery receipts")
    parser.add_argument("--in-process", action="store_true", help="simulator on the same loop")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--serve-simulator", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--peer-window", type=int, default=1000, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if args.latency <= 0 or args.window < 1 or args.duration <= 0 or args.compare_window < 0:
        print("latency and duration must be positive, windows at least 1", file=sys.stderr)
        return 2
    if args.serve_simulator:
        asyncio.run(_serve_simulator(args))
        return 0
    results = asyncio.run(_run(args))
    if args.json:
        print(
            json.dumps(
                {
                    "simulator": "in-process" if args.in_process else "child-process",
                    "target_percent": TARGET_PERCENT,
                    "runs": [asdict(r) for r in results],
                }
            )
        )
    else:
        print(_table(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
