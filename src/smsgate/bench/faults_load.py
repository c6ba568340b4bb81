"""The fault campaign's load and its books: messages sent over the REST API at a steady pace,
spread over the nodes that answer, each with a text of its own (so the carrier can count one
sent twice) and a callback URL on the bench's receiver; what each answer promised; and the
callbacks that came back."""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from smsgate.bench.faults_nodes import Node
from smsgate.bench.processes import HttpClient
from smsgate.bench.receiver import CallbackReceiver, Received

FINAL = frozenset({"delivered", "undelivered", "failed", "expired", "canceled", "rejected"})


@dataclass
class Ledger:
    """What the clients were promised and what came back."""

    accepted: dict[str, tuple[int, float]] = field(default_factory=dict)  # id: (node, when)
    refused: Counter[str] = field(default_factory=Counter)  # "503 queue_full": count
    unanswered: int = 0  # requests whose connection failed: no answer, no promise
    attempted: int = 0

    def accepted_by(self, node: int, before: float) -> list[str]:
        return [i for i, (n, at) in self.accepted.items() if n == node and at < before]


class Load:
    """`rate` messages per second over `per_node` keep-alive connections to each node, from
    `start()` until `stop()` or `limit` attempts."""

    def __init__(
        self,
        nodes: Sequence[Node],
        key: str,
        callback_url: str,
        label: str,
        *,
        rate: float,
        limit: int,
        per_node: int = 2,
        ledger: Ledger | None = None,
        first: int = 0,
    ) -> None:
        self.nodes = nodes
        self.key = key
        self.callback_url = callback_url
        self.label = label
        self.rate = rate
        self.limit = limit
        self.per_node = per_node
        # a load may carry on the books of one before it, from the index after its last
        self.ledger = ledger if ledger is not None else Ledger()
        self._first = first
        self._next = first
        self._began = 0.0
        self.last_attempt = 0.0  # time.monotonic() of the latest request
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._began = time.monotonic()
        self._tasks = [
            asyncio.create_task(self._worker(index))
            for index in range(len(self.nodes))
            for _ in range(self.per_node)
        ]

    @property
    def next_index(self) -> int:
        return self._next

    async def stop(self) -> Ledger:
        self._stopping.set()
        await asyncio.gather(*self._tasks)
        return self.ledger

    async def wait_done(self, timeout: float) -> None:
        """Until every message was attempted (or `timeout`)."""
        deadline = time.monotonic() + timeout
        while self._next < self._first + self.limit and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def _body(self, index: int) -> bytes:
        return json.dumps(
            {
                "to": f"+8190{index:08d}",
                "text": f"fault {self.label} {index}",
                "callback_url": self.callback_url,
            }
        ).encode()

    async def _worker(self, node_index: int) -> None:
        node = self.nodes[node_index]
        client: HttpClient | None = None
        while not self._stopping.is_set() and self._next < self._first + self.limit:
            if client is None:
                if not node.up:
                    await asyncio.sleep(0.1)
                    continue
                client = HttpClient("127.0.0.1", node.http_port, self.key)
                try:
                    await client.open()
                except OSError:
                    client = None
                    await asyncio.sleep(0.1)
                    continue
            index = self._next
            self._next += 1
            due = self._began + (index - self._first) / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.ledger.attempted += 1
            self.last_attempt = time.monotonic()
            try:
                status, reply = await asyncio.wait_for(
                    client.request("POST", "/v1/messages", self._body(index)), 10
                )
            except (OSError, asyncio.IncompleteReadError, TimeoutError, IndexError, ValueError):
                # no answer: the request promised nothing (it may still have been stored)
                self.ledger.unanswered += 1
                client.close()
                client = None
                continue
            if status in (200, 201, 202):
                self.ledger.accepted[json.loads(reply)["id"]] = (node_index, time.monotonic())
            else:
                self.ledger.refused[f"{status} {_reason(reply)}"] += 1
        if client is not None:
            client.close()


def _reason(reply: bytes) -> str:
    try:
        error = json.loads(reply).get("error", {})
    except (ValueError, AttributeError):
        return "?"
    code = error.get("code") if isinstance(error, dict) else error
    return str(code or "?")


@dataclass
class Callbacks:
    """The callbacks the receiver got, by message: each status's first arrival."""

    by_message: dict[str, dict[str, float]] = field(default_factory=dict)
    requests: int = 0

    @classmethod
    def of(cls, receiver: CallbackReceiver) -> "Callbacks":
        books = cls(requests=len(receiver.received))
        for item in receiver.received:
            books._add(item)
        return books

    def _add(self, item: Received) -> None:
        try:
            body = json.loads(item.body)
        except ValueError:
            return
        if not isinstance(body, dict) or "id" not in body:
            return
        statuses = self.by_message.setdefault(str(body["id"]), {})
        statuses.setdefault(str(body.get("status")), item.at)

    def final_at(self, message_id: str) -> float | None:
        """When the first callback of the message's final status arrived."""
        times = [at for s, at in self.by_message.get(message_id, {}).items() if s in FINAL]
        return min(times) if times else None

    def first_delivery_after(self, moment: float) -> float | None:
        times = [
            at
            for statuses in self.by_message.values()
            for s, at in statuses.items()
            if s == "delivered" and at > moment
        ]
        return min(times) if times else None
