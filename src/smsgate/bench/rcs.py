"""`smsgate bench rcs`: +message (RCS, with SMS fallback) beside SMS-only through the same KDDI
Message Cast endpoint, in the same run; and the time from the end of a message's time on RCS
to the submit of its fallback SMS.

Three processes beside this one: the simulated carrier (answering at once, a receipt for every
message), the simulated RCS platform (`smsgate rcs-simulator`: delivered after 0.3 s, read
after 1 s, its reports as webhooks) and the gateway (`smsgate serve`, SQLite) with an SMPP and
an RCS connector. Rounds alternate
between `X-Fallback: 2` (SMS) and `X-Fallback: 0` (+message first, to numbers the platform
says can receive it), one message per request over `--connections` keep-alive connections;
each round waits until every message it sent is delivered, so the next starts from a quiet
gateway. Reported per kind: the best round's requests accepted per second and the gateway's CPU
seconds per 10,000 of them, and the ratio RCS / SMS. The CPU of a round counts while its
requests are answered; what its messages cost after (the platform's webhooks, receipts still
coming) is in `gateway_cpu_s_per_10k_settled`: from the round's start until the gateway has
used under 5% of a core for three half-seconds in a row (that quiet tail included).

Then `--fallbacks` messages go to numbers whose app is gone (they answer capable and never
deliver) with a time on RCS of `--ttl` seconds: each is revoked when that ends, then sent by
SMS. Reported: the time from the end of its RCS time to its SMS part's submit, as
percentiles (the channel timeout job's interval bounds it, plus the revoke's round trip).
"""

import argparse
import asyncio
import base64
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from smsgate.bench.processes import (
    HttpClient,
    cpu_seconds,
    create_account,
    free_port,
    gateway_config,
    http_address,
    open_clients,
    percentiles_ms,
    start,
    start_carrier,
    stop,
)

ACCOUNT = "bench"
BOT = "bench-bot"
PATH = f"/bench/v1/fallback/rcs/bot/v1/{BOT}/messages"
CARD = {
    "richcardMessage": {
        "message": {
            "generalPurposeCard": {
                "layout": {"cardOrientation": "VERTICAL"},
                "content": {"title": "Your parcel", "description": "Arrives today"},
            }
        }
    }
}
# numbers the built-in RCS platform treats as capable (+8190...) and as an app gone (+81809...)
CAPABLE, GONE = "+8190", "+81809"


def kddi_body(i: int, rcs: bool) -> bytes:
    body: dict[str, Any] = {
        "messageContact": {"userContact": f"{CAPABLE}{i % 100_000_000:08d}"},
        "smsmessage": {"smsNumber": "0123456789", "smsText": f"bench message {i}"},
        "dst": "0",
    }
    if rcs:
        body["message"] = {"RCSMessage": CARD}
    return json.dumps(body).encode()


def kddi_headers(key: str, rcs: bool) -> dict[str, str]:
    basic = base64.b64encode(f"{ACCOUNT}:{key}".encode()).decode()
    token = f"Bearer {key}" if rcs else "Bearer smsonly"
    return {
        "Authorization": f"Basic {basic}",
        "X-Fallback": "0" if rcs else "2",
        "X-Plusmsg-mkn-Authorization": token,
        "X-Plusmsg-tmt-Authorization": token,
        "X-Plusmsg-gmp-Authorization": token,
    }


async def _round(clients: list[HttpClient], rcs: bool, first: int, count: int) -> list[str]:
    """The ids of the messages accepted (202) of `count` requests numbered from `first`."""
    numbers = iter(range(first, first + count))
    ids: list[str] = []

    async def worker(client: HttpClient) -> None:
        for i in numbers:
            status, body = await client.request("POST", PATH, kddi_body(i, rcs))
            if status == 202:
                answer = json.loads(body)
                shape = answer.get("RCSMessage") or answer.get("smsmessage")
                ids.append(shape["msgId"].replace("-", ""))

    await asyncio.gather(*(worker(c) for c in clients))
    return ids


async def _delivered(client: HttpClient, ids: list[str], timeout: float) -> int:
    """Until every message of `ids` is delivered (or read), or `timeout`; how many are."""
    deadline = time.monotonic() + timeout
    pending = list(ids)
    while pending and time.monotonic() < deadline:
        still = []
        for message_id in pending:
            _, body = await client.request("GET", f"/v1/messages/{message_id}")
            if json.loads(body).get("status") not in ("delivered", "displayed"):
                still.append(message_id)
        pending = still
        if pending:
            await asyncio.sleep(0.2)
    return len(ids) - len(pending)


async def _load(
    args: argparse.Namespace, host: str, port: int, key: str, pid: int
) -> dict[str, Any]:
    rounds: list[dict[str, Any]] = []
    native = (await open_clients(host, port, key, 1))[0]
    first = 0
    for number in range(args.rounds):
        for kind in ("sms", "rcs"):
            headers = kddi_headers(key, kind == "rcs")
            clients = await open_clients(host, port, key, args.connections, headers)
            cpu = cpu_seconds(pid)
            started = time.perf_counter()
            ids = await _round(clients, kind == "rcs", first, args.messages)
            seconds = time.perf_counter() - started
            cpu_round = cpu_seconds(pid) - cpu
            first += args.messages
            for client in clients:
                client.close()
            settled = await _settled(pid, args.timeout) - cpu
            delivered = await _delivered(native, ids, args.timeout)
            rounds.append(
                {
                    "round": number,
                    "kind": kind,
                    "accepted": len(ids),
                    "delivered": delivered,
                    "per_s": round(len(ids) / seconds, 1),
                    "gateway_cpu_s_per_10k": round(cpu_round * 10_000 / max(1, len(ids)), 3),
                    "gateway_cpu_s_per_10k_settled": round(settled * 10_000 / max(1, len(ids)), 3),
                }
            )
    fallbacks = await _fallbacks(native, args)
    native.close()
    return {"rounds": rounds, "fallback_ms": fallbacks}


QUIET_WINDOW = 0.5  # seconds
QUIET_SHARE = 0.05  # of a core: below it a window is quiet
QUIET_WINDOWS = 3  # in a row: the gateway has settled


async def _settled(pid: int, timeout: float) -> float:
    """Wait (up to `timeout`) until the gateway is quiet; its CPU seconds then."""
    deadline = time.monotonic() + timeout
    quiet = 0
    used = cpu_seconds(pid)
    while quiet < QUIET_WINDOWS and time.monotonic() < deadline:
        await asyncio.sleep(QUIET_WINDOW)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - used < QUIET_WINDOW * QUIET_SHARE else 0
        used = now
    return used


async def _fallbacks(client: HttpClient, args: argparse.Namespace) -> dict[str, Any]:
    """Messages to numbers whose app is gone: from the end of their RCS time to the submit of
    their SMS."""
    ids = []
    for i in range(args.fallbacks):
        request = {
            "to": f"{GONE}{i:07d}",
            "channel": ["rcs", "sms"],
            "text": f"fallback {i}",
            "rcs": CARD,
            "channel_ttl": args.ttl,
        }
        status, answer = await client.request("POST", "/v1/messages", json.dumps(request).encode())
        if status == 202:
            ids.append(json.loads(answer)["id"])
    delivered = await _delivered(client, ids, args.ttl + args.timeout)
    waits = []
    for message_id in ids:
        _, got = await client.request("GET", f"/v1/messages/{message_id}")
        view = json.loads(got)
        submitted = view["parts"][0]["submitted_at"]
        if view["channel"] != "sms" or submitted is None:
            continue
        ended = _seconds(view["created_at"]) + args.ttl
        waits.append(_seconds(submitted) - ended)
    p50, p95, top = percentiles_ms(waits, (50, 95, 100))
    return {"messages": len(ids), "sent_by_sms": len(waits), "delivered": delivered,
            "p50": p50, "p95": p95, "max": top}  # fmt: skip


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    http_port = free_port()
    webhook = f"http://127.0.0.1:{http_port}/connectors/rcs/rcs/events"
    platform, banner = start(["rcs-simulator", "--port", "0", "--webhook-url", webhook])
    carrier, carrier_port = start_carrier(0.0, "bench")
    try:
        config = gateway_config(
            workdir / "rcs.toml",
            db=str(workdir / "bench.db"),
            http_port=http_port,
            queue=4 * args.messages + 1000,
            carrier_port=carrier_port,
            connector='password = "bench"\nbinds = 1\nwindow = 100',
        )
        rcs = banner.split("listening on ")[1].split()[0]
        with config.open("a") as file:
            file.write(
                f'\n[[connectors]]\nid = "rcs"\nkind = "rcs"\nbase_url = "{rcs}"\n'
                'token = "demo-rcs"\nwebhook_token = "demo-rcs-webhook"\n'
            )
        key = create_account(config, ACCOUNT)
        command = ["account", "access", ACCOUNT, "--bot-id", BOT, "--config", str(config)]
        subprocess.run([sys.executable, "-m", "smsgate", *command], check=True, capture_output=True)
        gateway, started = start(["serve", "--config", str(config)])
        try:
            host, port = http_address(started)
            return asyncio.run(_load(args, host, port, key, gateway.pid))
        finally:
            stop(gateway)
    finally:
        stop(carrier)
        stop(platform)


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    best = {kind: max(r["per_s"] for r in rounds if r["kind"] == kind) for kind in ("sms", "rcs")}
    return {
        "sms_per_s": best["sms"],
        "rcs_per_s": best["rcs"],
        "ratio": round(best["rcs"] / best["sms"], 3) if best["sms"] else 0.0,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate bench rcs", description=__doc__)
    parser.add_argument("--messages", type=int, default=2_000, help="messages per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each kind")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--fallbacks", type=int, default=50, help="messages that fall back")
    parser.add_argument("--ttl", type=int, default=2, help="their seconds on RCS")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for ends")
    parser.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as workdir:
        result = _run(args, Path(workdir))
    rounds = result["rounds"]
    report = {
        "messages_per_round": args.messages,
        "connections": args.connections,
        "python": sys.version.split()[0],
        **result,
        **summary(rounds),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        f"{'round':>5} {'kind':5} {'accepted/s':>11} {'gw CPU s/10k':>13}"
        f" {'settled':>8} {'delivered':>10}"
    )
    for r in rounds:
        print(
            f"{r['round']:>5} {r['kind']:5} {r['per_s']:>11,.0f}"
            f" {r['gateway_cpu_s_per_10k']:>13.2f}"
            f" {r['gateway_cpu_s_per_10k_settled']:>8.2f} {r['delivered']:>10}"
        )
    print(
        f"best: SMS {report['sms_per_s']:,.0f}/s, +message {report['rcs_per_s']:,.0f}/s,"
        f" ratio {report['ratio']:.2f}"
    )
    fb = result["fallback_ms"]
    print(
        f"fallback: {fb['sent_by_sms']} of {fb['messages']} sent by SMS; from the end of their"
        f" RCS time to the SMS submit p50 {fb['p50']:.0f} ms, p95 {fb['p95']:.0f} ms,"
        f" max {fb['max']:.0f} ms"
    )
    return 0
