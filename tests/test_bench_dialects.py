"""`smsgate bench dialects`: its requests are ones both APIs accept, and its verdict is the
ratio of the best rounds."""

import asyncio
from pathlib import Path

from smsgate.bench.dialects import APIS, summary
from tests.api.harness import running_gateway


def test_the_benchmarks_requests_are_accepted_by_both_apis(tmp_path: Path) -> None:
    async def main() -> None:
        async with running_gateway(str(tmp_path / "bench.db")) as gw:
            key = gw.keys["a"]
            headers = {
                "native": {"Authorization": f"Bearer {key}"},
                "reach": {"ApiUser": "a", "ApiKey": key},
            }
            for name, (make, ok_status) in APIS.items():
                path, body, content_type = make(7)
                answer = await gw.client.post(
                    path, content=body, headers={**headers[name], "Content-Type": content_type}
                )
                assert answer.status_code == ok_status, answer.text

    asyncio.run(main())


def test_the_ratio_compares_the_best_rounds() -> None:
    rounds = [
        {"api": "native", "per_s": 1000.0},
        {"api": "reach", "per_s": 700.0},
        {"api": "native", "per_s": 900.0},
        {"api": "reach", "per_s": 850.0},
    ]
    assert summary(rounds) == {
        "native_per_s": 1000.0,
        "reach_per_s": 850.0,
        "ratio": 0.85,
        "target_ratio": 0.8,
        "met": True,
    }
    assert (
        summary([{"api": "native", "per_s": 1000.0}, {"api": "reach", "per_s": 500.0}])["met"]
        is False
    )
