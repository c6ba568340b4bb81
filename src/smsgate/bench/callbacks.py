"""`smsgate bench callbacks`: signed status callbacks delivered per second to a local receiver.

The outbox is filled first (not timed) with `--count` http items for one account with a webhook
secret; then the http outbox consumer claims, signs, POSTs and settles them against a receiver
answering 200 at once in a process of its own. Reported: callbacks per second from the worker's
start until the last one is settled as done in the store, and the CPU seconds the gateway's side
(this process and its store's writer process) used per 10,000 callbacks; the receiver's are
reported apart (from its start until the end, idle time included).
"""

import argparse
import asyncio
import json
import multiprocessing
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from smsgate.bench.processes import cpu_seconds
from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.channel import CallbackConfig, callback_consumer
from smsgate.domain.account import Account
from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem
from smsgate.engine.clock import SystemClock
from smsgate.runtime import run_async
from smsgate.store import open_store

FILL_BATCH = 2000


def _receiver_process(pipe: Connection) -> None:
    async def serve() -> None:
        receiver = CallbackReceiver(keep=False)
        pipe.send(await receiver.start())
        cpu = time.process_time()
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # until told to stop
        pipe.send((receiver.count, time.process_time() - cpu))
        await receiver.stop()

    run_async(serve())


async def _run(db: str, url: str, count: int, per_receiver: int) -> dict[str, Any]:
    store = await open_store(db)
    clock = SystemClock()
    try:
        await store.create_account(Account(id="bench", name="bench", webhook_secret="s3cret"))
        now = clock.time()
        for start in range(0, count, FILL_BATCH):
            await store.write(
                [
                    OutboxItem(
                        id=new_id(),
                        channel="http",
                        account_id="bench",
                        subject_id=new_id(),
                        event="delivered",
                        payload={
                            "id": new_id(),
                            "client_ref": f"ref-{i}",
                            "from": "smsgate",
                            "to": "+819012345678",
                            "status": "delivered",
                            "segments": 1,
                            "price": "0.0700",
                            "price_unit": "JPY",
                            "dlrDate": "2701150800",
                        },
                        created_at=now,
                        next_attempt_at=now,
                        url=url,
                    )
                    for i in range(start, min(start + FILL_BATCH, count))
                ]
            )
        config = CallbackConfig(deny_networks=[], per_receiver=per_receiver, max_attempts=3)
        worker = callback_consumer(store, clock, config)
        finished = asyncio.Event()

        def settled(item: OutboxItem, outcome: str) -> None:
            if sum(worker.counters[k] for k in ("done", "abandoned")) >= count:
                finished.set()

        worker.on_settled = settled
        # this process and the store's writer process (the receiver is reported apart)
        writer = getattr(store, "writer_pid", None)

        def used() -> float:
            return time.process_time() + (0.0 if writer is None else cpu_seconds(writer))

        cpu, wall = used(), time.perf_counter()
        await worker.start()
        await asyncio.wait_for(finished.wait(), timeout=max(60.0, count / 200))
        wall, cpu = time.perf_counter() - wall, used() - cpu
        await worker.stop()
        return {
            "count": count,
            "per_receiver": per_receiver,
            "done": worker.counters["done"],
            "retried": worker.counters["retried"],
            "abandoned": worker.counters["abandoned"],
            "postponed": worker.counters["released"],
            "seconds": round(wall, 3),
            "callbacks_per_second": round(count / wall),
            "cpu_seconds_per_10k": round(cpu / count * 10_000, 3),
        }
    finally:
        await store.close()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="smsgate bench callbacks", description=__doc__)
    parser.add_argument("--count", type=int, default=20_000, help="callbacks to deliver")
    parser.add_argument(
        "--per-receiver", type=int, default=64, help="concurrent requests to the receiver"
    )
    parser.add_argument("--db", default=None, help="store URL (default: a temporary SQLite)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    receiver = multiprocessing.get_context("spawn").Process(
        target=_receiver_process, args=(theirs,), daemon=True
    )
    receiver.start()
    try:
        base = ours.recv()
        with tempfile.TemporaryDirectory() as tmp:
            db = args.db or str(Path(tmp) / "bench.db")
            result = run_async(_run(db, f"{base}/status", args.count, args.per_receiver))
        ours.send("stop")
        result["received"], receiver_cpu = ours.recv()
        result["receiver_cpu_seconds_per_10k"] = round(receiver_cpu / args.count * 10_000, 3)
    finally:
        receiver.join(10)
        if receiver.is_alive():
            receiver.kill()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("signed status callbacks to a local receiver (one account, one receiver)")
        for key, value in result.items():
            print(f"  {key:22} {value}")
    return 0 if result["done"] == args.count else 1
