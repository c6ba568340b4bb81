"""`smsgate send` and `smsgate status`: a running gateway's REST API, with an account's key.

`send` takes what POST /v1/messages takes; with `--wait` it follows the message by polling
GET /v1/messages/ID and prints each change of its status until a final one or `--timeout`.
Exit status: 0 sent (and with --wait, delivered), 1 refused or not delivered, 2 a usage or
connection error, 3 no final status within --timeout."""

import argparse
import json
import os
import sys
import time
from datetime import datetime
from typing import Any

import httpx

from smsgate.domain.status import FINAL, Status

_PRIORITIES = ["bulk", "normal", "high", "urgent"]
_ENCODINGS = ["gsm7", "ucs2", "latin1", "ia5", "binary"]
TIMED_OUT = 3


class _RefusedError(Exception):
    """Something the command cannot do; exit status 2 with the reason."""


def _client(args: argparse.Namespace) -> httpx.Client:
    key = args.api_key or os.environ.get("SMSGATE_API_KEY")
    if not key:
        raise _RefusedError("give --api-key or set SMSGATE_API_KEY")
    return httpx.Client(
        base_url=args.url.rstrip("/"), headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # not the gateway's JSON (a proxy's error page, ...)
        return {"http_status": response.status_code, "body": response.text[:500]}


def _request(args: argparse.Namespace, method: str, path: str, body: object = None) -> int:
    try:
        with _client(args) as client:
            response = client.request(method, path, json=body)
            print(json.dumps(_body(response), indent=2, ensure_ascii=False))
            if not response.is_success or not getattr(args, "wait", False):
                return 0 if response.is_success else 1
            return _follow(client, response.json()["id"], args.timeout, args.poll)
    except _RefusedError as exc:
        print(f"smsgate {args.command}: {exc}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"smsgate {args.command}: {args.url}: {exc}", file=sys.stderr)
        return 2


def _follow(client: httpx.Client, message_id: str, timeout: float, poll: float) -> int:
    """Print each status the message takes (from its history, so none is missed between two
    polls) until it is final: 0 delivered, 1 another final status, 3 still going."""
    deadline = time.monotonic() + timeout
    last = ""  # the status printed last
    seen = 0  # history lines already looked at (the history only grows)
    while True:
        response = client.get(f"/v1/messages/{message_id}")
        if not response.is_success:
            raise _RefusedError(f"GET /v1/messages/{message_id}: {_body(response)}")
        message = response.json()
        single = message.get("segments") == 1
        history = message.get("history") or []
        for entry in history[seen:]:
            # the message's own lines: those of no part, and of its one part if it has one
            # (a one-part message's status is its part's); a status may come again
            own = entry["part"] is None or single
            if own and entry["applied"] and entry["status"] != last:
                last = entry["status"]
                detail = f"  {entry['detail']}" if entry["detail"] else ""
                print(f"{entry['at']}  {entry['status']}{detail}", flush=True)
        seen = len(history)
        status = message["status"]
        if status in FINAL:
            return 0 if status == Status.DELIVERED else 1
        if time.monotonic() >= deadline:
            print(
                f"smsgate send: {message_id} is still {status} after {timeout:g} s",
                file=sys.stderr,
            )
            return TIMED_OUT
        time.sleep(min(poll, max(deadline - time.monotonic(), 0.0)))


def _iso_time(value: str) -> str:
    """An ISO 8601 time (with its offset or Z) as the API takes it."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 time, e.g. 2030-01-01T09:00:00+09:00"
        ) from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no offset: add Z or +09:00")
    return at.isoformat()


def _send(args: argparse.Namespace) -> int:
    body: dict[str, object] = {"to": args.to, "text": args.text}
    options = {
        "from": args.sender,
        "priority": args.priority,
        "encoding": args.encoding,
        "client_ref": args.client_ref,
        "tag": args.tag,
        "scheduled_at": args.schedule,
        "validity": args.validity,
        "callback_url": args.callback,
        "max_price": args.max_price,
    }
    body |= {name: value for name, value in options.items() if value is not None}
    return _request(args, "POST", "/v1/messages", body)


def _status(args: argparse.Namespace) -> int:
    return _request(args, "GET", f"/v1/messages/{args.message_id}")


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not above 0")
    return number


def _send_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--to", required=True, help="+E.164, or national for the default country")
    sub.add_argument("--text", required=True)
    sub.add_argument("--from", dest="sender", help="sender: +E.164, short code or name")
    sub.add_argument("--priority", choices=_PRIORITIES)
    sub.add_argument("--encoding", choices=_ENCODINGS, help="default: chosen by the text")
    sub.add_argument("--client-ref", help="your own reference, unique per account")
    sub.add_argument("--tag", help="campaign or bulk identifier")
    sub.add_argument("--schedule", type=_iso_time, help="ISO 8601 time to send at")
    sub.add_argument("--validity", type=int, help="seconds the message stays valid")
    sub.add_argument("--callback", help="URL for this message's status callbacks")
    sub.add_argument("--max-price", help="refuse to pay more per message (decimal)")
    sub.add_argument("--wait", action="store_true", help="follow the message to its final status")
    sub.add_argument(
        "--timeout",
        type=_positive,
        default=60.0,
        help="seconds --wait follows it (default: %(default)s)",
    )
    sub.add_argument(
        "--poll",
        type=_positive,
        default=0.5,
        help="seconds between --wait's requests (default: %(default)s)",
    )


def add_send_commands(commands: Any) -> None:
    """`smsgate send --to NUMBER --text TEXT` and `smsgate status MESSAGE_ID`"""
    for name, func, text in (
        ("send", _send, "send a message through a running gateway's REST API"),
        ("status", _status, "show a message (status, parts, history)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--url", default="http://127.0.0.1:8080", help="the gateway's HTTP API")
        sub.add_argument("--api-key", help="default: $SMSGATE_API_KEY")
        if name == "send":
            _send_options(sub)
        else:
            sub.add_argument("message_id")
        sub.set_defaults(func=func)
