"""`smsgate send` and `smsgate status`: a running gateway's REST API, with an account's key."""

import argparse
import json
import os
import sys
from typing import Any

import httpx


def _api(args: argparse.Namespace, method: str, path: str, body: object = None) -> int:
    key = args.api_key or os.environ.get("SMSGATE_API_KEY")
    if not key:
        print("give --api-key or set SMSGATE_API_KEY", file=sys.stderr)
        return 2
    try:
        response = httpx.request(
            method,
            args.url.rstrip("/") + path,
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        print(f"smsgate: {args.url}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    return 0 if response.is_success else 1


def _send(args: argparse.Namespace) -> int:
    body = {"to": args.to, "text": args.text}
    if args.sender:
        body["from"] = args.sender
    if args.priority:
        body["priority"] = args.priority
    return _api(args, "POST", "/v1/messages", body)


def _status(args: argparse.Namespace) -> int:
    return _api(args, "GET", f"/v1/messages/{args.message_id}")


def add_send_commands(commands: Any) -> None:
    """`smsgate send --to NUMBER --text TEXT` and `smsgate status MESSAGE_ID`"""
    for name, func, text in (
        ("send", _send, "send a message through a running gateway's REST API"),
        ("status", _status, "show a message (status, parts, history)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--url", default="http://127.0.0.1:8080")
        sub.add_argument("--api-key", help="default: $SMSGATE_API_KEY")
        if name == "send":
            sub.add_argument("--to", required=True)
            sub.add_argument("--text", required=True)
            sub.add_argument("--from", dest="sender")
            sub.add_argument("--priority", choices=["bulk", "normal", "high", "urgent"])
        else:
            sub.add_argument("message_id")
        sub.set_defaults(func=func)
