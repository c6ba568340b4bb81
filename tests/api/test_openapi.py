"""The OpenAPI document describes the routes the app has, with their methods, and the answers the
app really gives; /docs renders it with assets served by smsgate itself."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from smsgate.api.http import dialect_operations, operations
from smsgate.api.http.api_reference import ASSETS
from smsgate.api.http.dialects import kddi, p5, reach
from smsgate.api.http.openapi import IMPLIED, UNDOCUMENTED, described
from tests.api.harness import Running, running_gateway

Scenario = Callable[[Running, dict[str, Any]], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    async def main() -> None:
        async with running_gateway(str(tmp_path / "gw.db")) as gw:
            document = (await gw.client.get("/openapi.json")).json()
            await scenario(gw, document)

    asyncio.run(main())


def served(gw: Running) -> set[tuple[str, str]]:
    assert gw.app.http is not None
    app = gw.app.http.config.app
    assert isinstance(app, Starlette)
    return {
        (method, route.path)
        for route in app.routes
        # `/` only sends a browser to the web console, which is pages, not API
        if isinstance(route, Route) and route.path != "/"
        for method in (route.methods or set()) - IMPLIED
    }


def check(document: dict[str, Any], path: str, method: str, response: httpx.Response) -> None:
    """The answer's status is documented for the operation, and its body has that shape."""
    operation = document["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], (method, path, status, response.text)
    documented = operation["responses"][status]
    media = response.headers.get("content-type", "").split(";")[0]
    if "content" not in documented:
        assert not response.content, (method, path, status)
        return
    content = documented["content"]
    assert media in content or "*/*" in content, (method, path, media, list(content))
    if media != "application/json":
        return
    # the response's schema, with the document's components beside it so its $refs resolve
    schema = {**content[media]["schema"], "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(response.json())


def test_every_route_of_the_app_is_described_with_its_methods(tmp_path: Path) -> None:
    async def scenario(gw: Running, document: dict[str, Any]) -> None:
        routes = served(gw)
        documented = {
            (method.upper(), path)
            for path, methods in document["paths"].items()
            for method in methods
        }
        assert documented == routes
        for path, methods in document["paths"].items():
            for method, operation in methods.items():
                assert operation["summary"] != UNDOCUMENTED, (method, path)
                named = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                assert named == set(re.findall(r"{(\w+)}", path)), (method, path)
        # no description of a route the app does not have
        assert set(described()) <= routes
        # the native API and every dialect are there
        for method, path in [
            ("POST", "/v1/messages/{message_id}/cancel"),
            ("POST", f"{reach.PREFIX}/create"),
            ("DELETE", f"{reach.PREFIX}/delete"),
            ("POST", f"{p5.PREFIX}/mt.json"),
            ("GET", f"{p5.PREFIX}/mt.json"),
            ("POST", kddi.PREFIX),
            ("GET", "/sys/status.php"),
        ]:
            assert method.lower() in document["paths"][path], (method, path)
        tags = {tag["name"] for tag in document["tags"]}
        assert {dialect_operations.REACH_TAG, dialect_operations.SMSC_TAG} <= tags

    run(tmp_path, scenario)


def test_the_message_shape_says_from_and_the_statuses_are_documented(tmp_path: Path) -> None:
    async def scenario(gw: Running, document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        view = schemas["MessageView"]["properties"]
        assert "from" in view and "sender" not in view
        assert "from" in schemas["SendMessage"]["properties"]
        send = document["paths"]["/v1/messages"]["post"]["responses"]
        # every status of the catalog errors a send can have, with the codes named
        assert {"202", "400", "401", "402", "403", "409", "413", "422", "429", "503"} <= set(send)
        assert "`no_route`" in send["422"]["description"]
        assert "Retry-After" in send["429"]["headers"]
        one = document["paths"]["/v1/messages/{message_id}"]["get"]["responses"]
        assert "404" in one
        cancel = document["paths"]["/v1/messages/{message_id}/cancel"]["post"]["responses"]
        assert {"200", "404", "409"} <= set(cancel)

    run(tmp_path, scenario)


def test_documented_shapes_match_real_answers(tmp_path: Path) -> None:
    async def scenario(gw: Running, document: dict[str, Any]) -> None:
        client, auth = gw.client, gw.headers()

        async def call(method: str, path: str, url: str | None = None, **kw: Any) -> httpx.Response:
            response = await client.request(method, url or path, **kw)
            check(document, path, method, response)
            return response

        sent = await call(
            "POST", "/v1/messages", json={"to": "+819012345678", "text": "x"}, headers=auth
        )
        message_id = sent.json()["id"]
        await gw.wait_final([message_id])
        one = "/v1/messages/{message_id}"
        fetched = await call("GET", one, f"/v1/messages/{message_id}", headers=auth)
        assert fetched.json()["parts"] and fetched.json()["history"]
        await call("GET", one, "/v1/messages/nope", headers=auth)
        await call("GET", one, f"/v1/messages/{message_id}")  # no key: 401
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        later = {"to": "+819012345678", "text": "y", "scheduled_at": tomorrow}
        scheduled = (await call("POST", "/v1/messages", json=later, headers=auth)).json()
        cancel = "/v1/messages/{message_id}/cancel"
        canceled = await call(
            "POST", cancel, f"/v1/messages/{scheduled['id']}/cancel", headers=auth
        )
        assert canceled.json()["status"] == "canceled"
        refused = await call("POST", cancel, f"/v1/messages/{message_id}/cancel", headers=auth)
        assert refused.status_code == 409
        await call("POST", "/v1/messages", json={"to": "+1", "text": "x"}, headers=auth)
        await call("POST", "/v1/messages", json={"to": "+819012345678", "txt": "x"}, headers=auth)
        await call("GET", "/v1/messages", params={"limit": "5"}, headers=auth)
        await call("GET", "/v1/messages", params={"limit": "0"}, headers=auth)
        await call("GET", "/v1/messages/count", headers=auth)
        await call("GET", "/v1/balance", headers=auth)
        await call("GET", "/v1/inbound", headers=auth)
        await call("GET", "/v1/opt-outs", headers=auth)
        await call("POST", "/v1/opt-outs", json={"number": "+819011112222"}, headers=auth)
        number = "/v1/opt-outs/{number}"
        await call("DELETE", number, "/v1/opt-outs/+819011112222", headers=auth)
        await call("DELETE", number, "/v1/opt-outs/+819011112222", headers=auth)
        # the batch: some accepted (202); none accepted (422, per-message results); an
        # Idempotency-Key reused for another request (422, the error shape)
        batch = "/v1/messages/batch"
        good, bad = {"to": "+819012345678", "text": "b"}, {"to": "+1", "text": "b"}
        mixed = await call("POST", batch, json={"messages": [good, bad]}, headers=auth)
        assert mixed.status_code == 202
        none = await call("POST", batch, json={"messages": [bad, bad]}, headers=auth)
        assert none.status_code == 422 and none.json()["rejected"] == 2
        keyed = {**auth, "Idempotency-Key": "k1"}
        await call("POST", batch, json={"messages": [good]}, headers=keyed)
        reused = await call("POST", batch, json={"messages": [bad]}, headers=keyed)
        assert (
            reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
        )
        await call("GET", "/healthz")
        await call("GET", "/metrics")
        # the dialects, in their own shapes
        reach_auth = {"ApiUser": "a", "ApiKey": gw.keys["a"]}
        create = f"{reach.PREFIX}/create"
        form = {"dest": "+819012345678", "src": "SMSGATE", "body": "hi"}
        created = await call("POST", create, data=form, headers=reach_auth)
        assert created.status_code == 201
        await call("POST", create, data=form)  # no credentials: 401, Reach's error shape
        fetch = f"{reach.PREFIX}/fetch"
        await call(
            "GET", fetch, params={"messageId": created.json()["messageId"]}, headers=reach_auth
        )
        await call("GET", f"{reach.PREFIX}/list", headers=reach_auth)
        await call("POST", f"{p5.PREFIX}/mt.json", data={"message": "x"})  # responseCode 100
        status = kddi.PREFIX.replace("{aggregator}", "agg").replace("{bot_id}", "bot")
        await call("GET", kddi.PREFIX + "/{msg_id}/status", status + "/m1/status")  # 401
        await call("GET", "/sys/balance.php", params={"apikey": gw.keys["a"], "fmt": "3"})

    run(tmp_path, scenario)


@pytest.mark.parametrize(
    ("path", "method", "allow"),
    [
        ("/v1/messages", "DELETE", "GET, HEAD, POST"),
        ("/v1/messages/m1", "POST", "GET, HEAD"),
        ("/v1/opt-outs/+819011112222", "GET", "DELETE"),
        (f"{reach.PREFIX}/create", "GET", "POST"),
        ("/sys/send.php", "PUT", "GET, HEAD, POST"),
    ],
)
def test_a_method_a_path_does_not_serve_gets_405_with_allow(
    tmp_path: Path, path: str, method: str, allow: str
) -> None:
    async def scenario(gw: Running, document: dict[str, Any]) -> None:
        response = await gw.client.request(method, path, headers=gw.headers())
        assert response.status_code == 405
        assert response.headers["Allow"] == allow
        assert response.json()["error"]["code"] == "invalid_request"
        error = {"$ref": "#/components/schemas/ErrorResponse", **document}
        jsonschema.Draft202012Validator(error).validate(response.json())
        # what Allow names is what the document names for the path (and HEAD with GET)
        template = next(p for p in document["paths"] if re.fullmatch(_pattern(p), path))
        named = {m.upper() for m in document["paths"][template]}
        assert set(allow.split(", ")) - IMPLIED == named

    run(tmp_path, scenario)


def _pattern(template: str) -> str:
    return re.sub(r"{\w+}", "[^/]+", template)


def test_docs_is_the_rendered_reference_served_by_smsgate(tmp_path: Path) -> None:
    async def scenario(gw: Running, document: dict[str, Any]) -> None:
        page = await gw.client.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        # nothing is loaded from elsewhere: every address in the page is relative
        assert not re.search(r"(https?:)?//", page.text.replace("// the default", ""))
        assert "SwaggerUIBundle" in page.text and '"openapi.json"' in page.text
        referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sorted(referenced) == [
            "docs/assets/swagger-ui-bundle.js",
            "docs/assets/swagger-ui.css",
        ]
        for address in referenced:
            asset = await gw.client.get("/" + address)
            assert asset.status_code == 200 and len(asset.content) > 10_000
            assert asset.headers["content-type"] == ASSETS[address.rsplit("/", 1)[1]]
        license_text = await gw.client.get("/docs/assets/LICENSE")
        assert "Apache License" in license_text.text
        assert (await gw.client.get("/docs/assets/../../openapi.py")).status_code == 404
        assert (await gw.client.get("/docs/assets/README.md")).status_code == 404
        assert ("GET", "/docs") in operations.NATIVE

    run(tmp_path, scenario)
