"""The HTTP API fuzzed from its own OpenAPI document: schemathesis generates requests for every
operation of `/openapi.json` (valid and invalid ones) against a running gateway on both store
backends, and any 5xx, or an answer outside the documented status codes, content types and
schemas, fails. Bounded: a few examples per operation, loopback only, the suite's timeout."""

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.harness import running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

# per operation and generation mode, on each backend: the same operations are fuzzed twice
EXAMPLES = 5
# the operations are fuzzed in this many parts, each against a gateway of its own: one part
# took 96 s of the suite's 120 s timeout on a slow run, and the parts run in several workers
SHARDS = 4
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def test_nul_in_a_filter_is_refused_alike_on_both_backends(backend: StoreBackend) -> None:
    # found by the fuzz test below: PostgreSQL refuses NUL in text, and it once answered 500
    with gateway_thread(backend.url) as (base, key):
        response = httpx.get(
            f"{base}/v1/messages/count",
            params={"tag": "a\x00b"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_filter_character"


@contextmanager
def gateway_thread(url: str) -> Iterator[tuple[str, str]]:
    """A gateway on its own event loop in a thread (schemathesis calls it synchronously): its
    base URL and an account's API key."""
    ready = threading.Event()
    found: dict[str, Any] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        # the limit on wrong credentials per address has tests of its own; here every request
        # comes from one address with made-up credentials, and would soon be answered 429 alone
        async with running_gateway(url, http_auth_failures=1_000_000) as gw:
            found["base"] = str(gw.client.base_url).rstrip("/")
            found["key"] = gw.keys["a"]
            found["stop"] = (asyncio.get_running_loop(), stop)
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:  # reported to the test
            found["error"] = error
            ready.set()

    thread = threading.Thread(target=run, name="fuzzed-gateway")
    thread.start()
    try:
        assert ready.wait(30), "the gateway did not start"
        if "error" in found:
            raise found["error"]
        yield found["base"], found["key"]
    finally:
        if "stop" in found:
            loop, stop = found["stop"]
            loop.call_soon_threadsafe(stop.set)
        thread.join(30)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_operation_answers_5xx_or_off_its_schema(backend: StoreBackend, shard: int) -> None:
    failures: list[str] = []
    answers: Counter[int] = Counter()  # by class: 2 (2xx), 4 (4xx)
    with gateway_thread(backend.url) as (base, key):
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        headers = {"Authorization": f"Bearer {key}"}
        operations = [result.ok() for result in schema.get_all_operations()][shard::SHARDS]
        assert operations
        for operation in operations:
            for mode in MODES:

                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=mode))
                def call(case: schemathesis.Case) -> None:
                    response = case.call_and_validate(
                        base_url=base, headers=headers, checks=CHECKS, timeout=10
                    )
                    answers[response.status_code // 100] += 1

                try:
                    call()
                except Unsatisfiable:
                    # nothing in the operation can be made invalid (no parameters, no body)
                    assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
                except (Exception, BaseExceptionGroup) as error:  # every operation's failure
                    failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
    # authenticated calls got through, and invalid ones were made and refused
    assert answers[2] > 10 and answers[4] > 10, answers
