"""Run by test_durability: writes messages to a SQLite store and prints each id once its write
is acknowledged, until killed (or, bounded, after `limit` messages)."""

import asyncio
import sys

from smsgate.store.sqlite import SqliteStore
from tests.store.factories import new_message

WRITERS = 20


async def main(path: str, limit: int) -> None:
    store = SqliteStore(path)
    await store.open()
    remaining = limit

    async def writer() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            message = new_message(parts=2)
            await store.write([message])
            sys.stdout.write(message.id + "\n")
            sys.stdout.flush()

    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
