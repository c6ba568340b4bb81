"""`Store.job_lock` on PostgreSQL: one holder per job within a schema; gateways kept in other
schemas of the same database run their own jobs (advisory locks are the database's)."""

import asyncio
from pathlib import Path

from tests.store.backends import store_backend


def test_a_job_lock_is_held_once_per_schema(tmp_path: Path) -> None:
    with (
        store_backend("postgres", tmp_path / "a") as first,
        store_backend("postgres", tmp_path / "b") as second,
    ):

        async def main() -> None:
            a, a_again, b = first.make(), first.make(), second.make()
            for store in (a, a_again, b):
                await store.open()
            try:
                async with (
                    a.job_lock("purge") as ours,
                    a_again.job_lock("purge") as same_schema,
                    b.job_lock("purge") as other_schema,
                    a_again.job_lock("timeouts") as other_job,
                ):
                    assert (ours, same_schema) == (True, False)
                    assert other_schema and other_job
                async with a_again.job_lock("purge") as released:
                    assert released
            finally:
                for store in (a, a_again, b):
                    await store.close()

        asyncio.run(asyncio.wait_for(main(), 30))
