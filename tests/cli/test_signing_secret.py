"""Callbacks are signed by default: an account made with `account create` gets a secret, shown
once, that verifies its callbacks; `account callbacks --rotate-secret` changes it; the demo
account's callbacks are signed too, with the secret its banner shows."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.app import DemoAccount
from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.signing import verify
from smsgate.cli import main
from smsgate.cli.serve import ready_banner
from tests.api.harness import Running, running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def _callbacks(db: str, key: str, **settings: object) -> tuple[str, list[tuple[str, bytes]]]:
    """Send one message with `key` through a gateway on `db`; its callbacks' URL and
    (signature, body) pairs."""
    receiver = CallbackReceiver()
    base = await receiver.start()
    url = f"{base}/status"
    try:
        async with running_gateway(db, **settings) as gw:
            gw.keys["new"] = key
            sent = await gw.send("new", callback_url=url)
            assert sent.status_code == 202, sent.text
            await receiver.wait_for(3, 20)  # queued, sent, delivered
    finally:
        await receiver.stop()
    return url, [(r.headers.get("x-smsgate-signature", ""), r.body) for r in receiver.received]


def test_a_new_account_signs_its_callbacks_and_rotation_changes_the_secret(
    backend: StoreBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "account", "create", "--name", "shop", "--json", "--db", backend.url)
    assert code == 0
    created = json.loads(out)
    secret, key = created["webhook_secret"], created["api_key"]
    assert secret and len(secret) == 64

    url, received = asyncio.run(_callbacks(backend.url, key))
    assert received and all(verify(secret, url, sig, body=body) for sig, body in received)

    code, out, _ = run(capsys, "account", "callbacks", "shop", "--db", backend.url)
    assert code == 0 and json.loads(out)["secret"] == "set"  # never shown again
    code, out, _ = run(
        capsys, "account", "callbacks", "shop", "--rotate-secret", "--db", backend.url
    )
    assert code == 0
    rotated = json.loads(out)["secret"]
    assert rotated != secret and len(rotated) == 64

    url, received = asyncio.run(_callbacks(backend.url, key))
    assert received and all(verify(rotated, url, sig, body=body) for sig, body in received)
    assert not any(verify(secret, url, sig, body=body) for sig, body in received)

    # signing turned off on purpose: no signature header
    code, out, _ = run(capsys, "account", "callbacks", "shop", "--secret", "", "--db", backend.url)
    assert code == 0 and json.loads(out)["signed"] is False
    _, received = asyncio.run(_callbacks(backend.url, key))
    assert received and all(sig == "" for sig, _ in received)
    code, _, err = run(capsys, "account", "callbacks", "shop", "--secret", "x", "--rotate-secret")
    assert code == 2 and "not both" in err


def test_the_demo_account_signs_its_callbacks(
    backend: StoreBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the demo's files go beside a SQLite file, else under var/

    async def body() -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        url = f"{base}/status"
        try:
            async with running_gateway(backend.url, demo_account=True) as gw:
                demo = _demo(gw)
                assert demo.webhook_secret and demo.webhook_secret in ready_banner(gw.app)
                gw.keys["demo"] = demo.api_key
                assert (await gw.send("demo", callback_url=url)).status_code == 202
                await receiver.wait_for(3, 20)
        finally:
            await receiver.stop()
        for request in receiver.received:
            signature = request.headers["x-smsgate-signature"]
            assert demo.webhook_secret is not None
            assert verify(demo.webhook_secret, url, signature, body=request.body)

    asyncio.run(body())


def _demo(gw: Running) -> DemoAccount:
    assert gw.app.demo is not None
    return gw.app.demo
