"""The OpenAPI document of the native API, generated from its pydantic models, and /docs."""

import html
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from smsgate import __version__
from smsgate.api.http.inbound import QUERY, InboundList, InboundView
from smsgate.api.http.opt_outs import OptOutList, OptOutRequest
from smsgate.api.http.schemas import (
    BalanceView,
    BatchResult,
    CampaignCanceled,
    ErrorResponse,
    MessageCounts,
    MessageList,
    MessageView,
    SendBatch,
    SendMessage,
)

_MODELS: list[type[BaseModel]] = [
    SendMessage,
    SendBatch,
    MessageView,
    MessageList,
    BatchResult,
    ErrorResponse,
    InboundView,
    InboundList,
    OptOutRequest,
    OptOutList,
    MessageCounts,
    CampaignCanceled,
    BalanceView,
]

_ERRORS = {
    "400": "Malformed request, unknown field",
    "401": "Missing or wrong API key",
    "402": "A prepaid account's balance does not cover the price",
    "403": "Account disabled",
    "409": "Duplicate client_ref, identical message moments ago, Idempotency-Key in use",
    "413": "Body too large",
    "422": "Invalid value (number, sender, text, schedule, validity, no route, opted out)",
    "429": "Above the account's rate",
    "503": "Queue full or not ready",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": _ref(model)}}}


def _responses(ok: str, model: type[BaseModel], description: str) -> dict[str, Any]:
    responses: dict[str, Any] = {ok: {"description": description, **_json(model)}}
    for code, text in _ERRORS.items():
        responses[code] = {"description": text, **_json(ErrorResponse)}
    return responses


# on the send endpoints: the first answer is replayed for 24 hours (docs/api.md)
_IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _query(*names: str) -> list[dict[str, Any]]:
    return [
        {"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in names
    ]


def openapi_document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(m, "validation") for m in _MODELS], ref_template="#/components/schemas/{model}"
    )
    security: list[dict[str, list[str]]] = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "smsgate API", "version": __version__},
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": security,
        "paths": {
            "/v1/messages": {
                "post": {
                    "summary": "Send a message",
                    "parameters": [_IDEMPOTENCY_KEY],
                    "requestBody": {"required": True, **_json(SendMessage)},
                    "responses": _responses("202", MessageView, "Accepted and stored"),
                },
                "get": {
                    "summary": "List messages, newest first",
                    "parameters": [
                        {"name": n, "in": "query", "required": False, "schema": {"type": t}}
                        for n, t in [
                            ("status", "string"),
                            ("to", "string"),
                            ("client_ref", "string"),
                            ("tag", "string"),
                            ("created_after", "string"),
                            ("created_before", "string"),
                            ("limit", "integer"),
                            ("cursor", "string"),
                        ]
                    ],
                    "responses": _responses("200", MessageList, "A page of messages"),
                },
            },
            "/v1/messages/batch": {
                "post": {
                    "summary": "Send up to 1000 messages at once",
                    "parameters": [_IDEMPOTENCY_KEY],
                    "requestBody": {"required": True, **_json(SendBatch)},
                    "responses": _responses("202", BatchResult, "Per-message results"),
                }
            },
            "/v1/messages/count": {
                "get": {
                    "summary": "How many messages (of a campaign tag) are in each status",
                    "parameters": _query("tag", "client_ref"),
                    "responses": _responses("200", MessageCounts, "Counts by status"),
                }
            },
            "/v1/messages/cancel": {
                "post": {
                    "summary": "Cancel the scheduled and queued messages of a campaign tag",
                    "parameters": [{**_query("tag")[0], "required": True}],
                    "responses": _responses("200", CampaignCanceled, "What was canceled"),
                }
            },
            "/v1/balance": {
                "get": {
                    "summary": "The account's prepaid balance",
                    "responses": _responses("200", BalanceView, "The balance"),
                }
            },
            "/v1/messages/{message_id}": {
                "get": {
                    "summary": "A message with its parts and status history",
                    "parameters": [
                        {
                            "name": "message_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": _responses("200", MessageView, "The message"),
                }
            },
            "/v1/inbound": {
                "get": {
                    "summary": "List the MO messages routed to the account, newest first",
                    "parameters": [
                        {
                            "name": name,
                            "in": "query",
                            "required": False,
                            "description": description,
                            "schema": {"type": kind},
                        }
                        for name, kind, description in QUERY
                    ],
                    "responses": _responses("200", InboundList, "A page of inbound messages"),
                }
            },
            "/v1/opt-outs": {
                "get": {
                    "summary": "List the numbers that opted out of the account's messages",
                    "responses": _responses("200", OptOutList, "The account's opt-out list"),
                },
                "post": {
                    "summary": "Add a number to the opt-out list (sends to it are refused)",
                    "requestBody": {"required": True, **_json(OptOutRequest)},
                    "responses": _responses("201", OptOutRequest, "Added"),
                },
            },
            "/v1/opt-outs/{number}": {
                "delete": {
                    "summary": "Take a number off the opt-out list",
                    "parameters": [
                        {
                            "name": "number",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "204": {"description": "Removed"},
                        "404": {"description": "Not on the list", **_json(ErrorResponse)},
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "200 once ready",
                    "security": [],
                    "responses": {"200": {"description": "ready"}},
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "security": [],
                    "responses": {"200": {"description": "text format"}},
                }
            },
        },
    }


def docs_page(document: dict[str, Any]) -> str:
    """A self-contained page (no scripts from elsewhere) listing the endpoints and shapes."""
    rows = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            codes = ", ".join(operation["responses"])
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}"
                f"</code></td><td>{html.escape(operation['summary'])}</td><td>{codes}</td></tr>"
            )
    schemas = []
    for name, schema in document["components"]["schemas"].items():
        fields = "".join(
            f"<li><code>{html.escape(field)}</code>: {html.escape(str(spec.get('description') or spec.get('type') or spec.get('anyOf') or spec.get('$ref', '')))}</li>"  # noqa: E501
            for field, spec in schema.get("properties", {}).items()
        )
        schemas.append(f"<h3>{html.escape(name)}</h3><ul>{fields}</ul>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>smsgate API</title></head>"
        "<body><h1>smsgate API v1</h1><p>Authenticate with <code>Authorization: Bearer "
        "API_KEY</code>. Machine-readable: <a href='/openapi.json'>/openapi.json</a>.</p>"
        f"<table border='1' cellpadding='4'>{''.join(rows)}</table>"
        f"<h2>Shapes</h2>{''.join(schemas)}</body></html>"
    )
