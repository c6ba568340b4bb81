"""Bulk sends from an uploaded CSV: parsed and checked row by row, then accepted in chunks in
the background while the page shows the progress. Jobs live in memory (a page of progress,
not a record: the messages themselves are in the store), a bounded number of them."""

import asyncio
import calendar
import csv
import io
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.message import Message
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway

MAX_ROWS: Final = 10_000
MAX_JOBS: Final = 50  # kept; the oldest finished one is forgotten first
MAX_ERRORS: Final = 1_000  # row errors listed per job
CHUNK: Final = 100  # messages per accept call
THROTTLE_RETRIES: Final = 30  # waits of a second for the account's rate to let a chunk in
COLUMNS: Final = ("to", "text", "sender", "client_ref", "tag")


@dataclass
class BulkJob:
    id: str
    account_id: str
    user: str
    total: int
    tag: str | None
    done: int = 0
    accepted: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (CSV line, reason)
    error_count: int = 0
    finished: bool = False
    started_at: float = field(default_factory=time.time)

    def fail(self, line: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((line, reason))


def parse_schedule(value: str) -> float | None:
    """A datetime-local field ("YYYY-MM-DDTHH:MM"), read as UTC; "" sends now."""
    if not value:
        return None
    try:
        return float(calendar.timegm(time.strptime(value[:16], "%Y-%m-%dT%H:%M")))
    except ValueError:
        raise GatewayError("invalid_schedule", "the schedule is YYYY-MM-DDTHH:MM (UTC)") from None


def parse_csv(
    data: bytes, scheduled_at: float | None, tag: str | None
) -> tuple[list[tuple[int, SendCommand]], list[tuple[int, str]]]:
    """The commands of a CSV (a header row naming at least `to` and `text`) with their line
    numbers, and the lines refused before sending."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GatewayError("invalid_request", "the CSV is not UTF-8") from None
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    if "to" not in header or "text" not in header:
        raise GatewayError("missing_parameter", "the CSV's first row names its columns: to,text")
    unknown = set(header) - set(COLUMNS)
    if unknown:
        raise GatewayError("unknown_field", f"unknown columns: {', '.join(sorted(unknown))}")
    commands: list[tuple[int, SendCommand]] = []
    errors: list[tuple[int, str]] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(commands) + len(errors) >= MAX_ROWS:
            raise GatewayError("request_too_large", f"a bulk send is at most {MAX_ROWS} rows")
        values = dict(zip(header, row, strict=False))
        to, body = values.get("to", "").strip(), values.get("text", "")
        if not to or not body:
            errors.append((line, "to and text are required"))
            continue
        commands.append(
            (
                line,
                SendCommand(
                    to=to,
                    text=body,
                    sender=values.get("sender", "").strip() or None,
                    client_ref=values.get("client_ref", "").strip() or None,
                    tag=values.get("tag", "").strip() or tag,
                    scheduled_at=scheduled_at,
                ),
            )
        )
    return commands, errors


class BulkJobs:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.jobs: OrderedDict[str, BulkJob] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(
        self,
        account: Account,
        user: str,
        commands: list[tuple[int, SendCommand]],
        refused: list[tuple[int, str]],
        tag: str | None,
    ) -> BulkJob:
        running = sum(not job.finished for job in self.jobs.values())
        if running >= MAX_JOBS:
            raise GatewayError("queue_full", "too many bulk sends are running; retry later")
        while len(self.jobs) >= MAX_JOBS:
            oldest = next(job_id for job_id, job in self.jobs.items() if job.finished)
            del self.jobs[oldest]
        job = BulkJob(new_id(), account.id, user, len(commands) + len(refused), tag)
        for line, reason in refused:
            job.fail(line, reason)
            job.done += 1
        self.jobs[job.id] = job
        task = asyncio.create_task(self._run(job, account, commands))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def job(self, job_id: str, account_id: str) -> BulkJob:
        job = self.jobs.get(job_id)
        if job is None or job.account_id != account_id:
            raise GatewayError("not_found", "no such bulk send (they are kept until a restart)")
        return job

    async def _run(
        self, job: BulkJob, account: Account, commands: list[tuple[int, SendCommand]]
    ) -> None:
        start = 0
        try:
            for start in range(0, len(commands), CHUNK):
                chunk = commands[start : start + CHUNK]
                for attempt in range(THROTTLE_RETRIES + 1):
                    results = await self.gateway.accept(account, [c for _, c in chunk])
                    waiting = []
                    for (line, command), result in zip(chunk, results, strict=True):
                        if isinstance(result, Message):
                            job.accepted += 1
                            job.done += 1
                        elif result.code == "throttled" and attempt < THROTTLE_RETRIES:
                            waiting.append((line, command))
                        else:
                            job.fail(
                                line, f"{result.code}: {result.detail or result.entry.message}"
                            )
                            job.done += 1
                    if not waiting:
                        break
                    chunk = waiting
                    await asyncio.sleep(1.0)  # the account's rate lets more in each second
        except GatewayError as error:  # the gateway stopping: what is left is not sent
            for line, _ in commands[start:]:
                job.fail(line, error.code)
        finally:
            job.done = job.total
            job.finished = True
