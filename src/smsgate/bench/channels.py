"""`smsgate bench channels`: a stream of SMPP submits asking for another channel (SMSC.ru's
`__VIBER__: ` prefix) beside plain SMS, in the same run, through the same SMPP server.

Four processes on this machine: the simulated carrier (`smsgate simulator`, answering at once,
a receipt for every message), the simulated providers (`smsgate providers-simulator`, reporting
each Viber message delivered at once), the gateway (`smsgate serve`, an SMPP connector to the
carrier and a Viber connector to the providers) and this process as the customer, its binds
and window as `smsgate bench smpp` has them. Rounds alternate between plain texts and prefixed
ones; each ends when every accepted message's receipt came back. Reported per kind: accepted
submit_sm per second, receipts per second, the gateway's CPU seconds per 10,000, and the
ratio of the prefixed stream's rates to the plain one's.
"""

import argparse
import json
import secrets
import sys
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from smsgate.bench import smpp
from smsgate.bench.processes import (
    create_account,
    free_port,
    gateway_config,
    measured,
    run_figures,
    start,
    start_carrier,
    stop,
    stop_carrier,
)

KINDS = {"sms": "", "viber": "__VIBER__: "}


def _run(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    http_port, smpp_port = free_port(), free_port()
    webhook = f"http://127.0.0.1:{http_port}/connectors/{{channel}}/{{channel}}/events"
    command = ["providers-simulator", "--port", "0", "--webhook-url", webhook, "--delay", "0"]
    providers, banner = start(command)
    carrier, carrier_port = start_carrier(0.0, "bench")
    rounds: list[dict[str, Any]] = []
    try:
        config = gateway_config(
            workdir / "channels.toml",
            db=str(workdir / f"bench-{secrets.token_hex(4)}.db"),
            http_port=http_port,
            queue=2 * args.messages + 1000,
            carrier_port=carrier_port,
            connector='password = "bench"\nbinds = 1\nwindow = 100',
            smpp_port=smpp_port,
        )
        base = banner.split("listening on ")[1].split()[0]
        config.write_text(
            f"smpp_window = {args.window}\n{config.read_text()}\n"
            f'[[connectors]]\nid = "viber"\nkind = "viber"\nbase_url = "{base}"\n'
            'token = "demo-providers"\nwebhook_token = "demo-providers-webhook"\n'
            "max_in_flight = 200\n"
        )
        create_account(
            config, "bench", "--smpp-system-id", smpp.SYSTEM_ID, "--smpp-password", smpp.PASSWORD
        )
        gateway, _ = start(["serve", "--config", str(config)])
        try:
            first = 0
            for number in range(args.rounds):
                for kind, prefix in KINDS.items():
                    # numbers of their own: the same text to a number within a minute would be
                    # refused as identical
                    load = argparse.Namespace(**{**vars(args), "prefix": prefix, "first": first})
                    first += args.messages
                    result, usage = measured(
                        gateway.pid, carrier.pid, partial(smpp.submits, load, smpp_port)
                    )
                    figures = run_figures(result, result["receipts_delivered"], usage)
                    rounds.append({"round": number, "kind": kind, **result, **figures})
        finally:
            stop(gateway)
    finally:
        stop_carrier(carrier)
        stop(providers)
    return rounds


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    best = {kind: max(r["accepted_per_s"] for r in rounds if r["kind"] == kind) for kind in KINDS}
    ends = {kind: max(r["end_to_end_per_s"] for r in rounds if r["kind"] == kind) for kind in KINDS}
    return {
        "sms_accepted_per_s": best["sms"],
        "viber_accepted_per_s": best["viber"],
        "accepted_ratio": round(best["viber"] / best["sms"], 3) if best["sms"] else 0.0,
        "end_to_end_ratio": round(ends["viber"] / ends["sms"], 3) if ends["sms"] else 0.0,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgate bench channels", description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000, help="messages per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each kind")
    parser.add_argument("--binds", type=int, default=2, help="the customer's binds")
    parser.add_argument("--window", type=int, default=200, help="outstanding submits per bind")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for receipts")
    parser.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as workdir:
        rounds = _run(args, Path(workdir))
    report = {"messages_per_round": args.messages, "python": sys.version.split()[0]}
    report.update(rounds=rounds, **summary(rounds))
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{'round':>5} {'kind':6} {'accepted/s':>11} {'receipts/s':>11} {'gw CPU s/10k':>13}")
    for r in rounds:
        print(
            f"{r['round']:>5} {r['kind']:6} {r['accepted_per_s']:>11,.0f}"
            f" {r['end_to_end_per_s']:>11,.0f} {r['gateway_cpu_s_per_10k']:>13.2f}"
        )
    print(
        f"best accepted: SMS {report['sms_accepted_per_s']:,.0f}/s, Viber"
        f" {report['viber_accepted_per_s']:,.0f}/s (ratio {report['accepted_ratio']:.2f});"
        f" end to end ratio {report['end_to_end_ratio']:.2f}"
    )
    return 0
