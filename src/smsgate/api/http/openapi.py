"""The OpenAPI document, generated from what the app has: its routes give the paths, methods
and path parameters; the operations (operations.py, dialect_operations.py) what each does; the
pydantic models the handlers use the shapes; the error catalog which status each refusal has.
A route without an operation is still listed, marked undocumented (a test forbids that)."""

from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.routing import BaseRoute, Route

from smsgate import __version__
from smsgate.api.http import dialect_operations, operations
from smsgate.api.http.operations import Answer, Key, Operation, Param
from smsgate.domain.errors import CATALOG

UNDOCUMENTED: Final = "undocumented"
# Starlette answers HEAD wherever GET is served; the document names GET only
IMPLIED: Final = frozenset({"HEAD"})
DESCRIPTION: Final = (
    "smsgate's native API (v1) and the compatible APIs of Reach (TalkyLabs), Zettai Reach! SMS"
    " p5, KDDI Message Cast and SMSC.ru. The native API authenticates with"
    ' `Authorization: Bearer API_KEY` and answers errors as `{"error": {code, message,'
    " detail}}`; each compatible API authenticates and answers errors as its platform does."
    " A method a path does not serve is answered 405 with an `Allow` header."
)


def described() -> dict[Key, Operation]:
    """Every operation with a description, native and dialects."""
    return {**operations.NATIVE, **dialect_operations.DIALECTS}


def route_operations(routes: Iterable[BaseRoute]) -> list[tuple[str, str, Route]]:
    """(method, path, route) for every method of every route, as the app serves them."""
    found = []
    for route in routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - IMPLIED):
                found.append((method, route.path, route))
    return found


def openapi_document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    table = described()
    served = route_operations(routes)
    schemas, refs = _schemas(table[(m, p)] for m, p, _ in served if (m, p) in table)
    paths: dict[str, dict[str, Any]] = {}
    for method, path, route in served:
        operation = table.get((method, path))
        entry = (
            _operation(operation, route, refs)
            if operation
            else {"summary": UNDOCUMENTED, "responses": {"default": {"description": UNDOCUMENTED}}}
        )
        paths.setdefault(path, {})[method.lower()] = entry
    tags = sorted({op.tag for (m, p), op in table.items()})
    return {
        "openapi": "3.1.0",
        "info": {"title": "smsgate API", "version": __version__, "description": DESCRIPTION},
        "tags": [{"name": tag} for tag in tags],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                **dialect_operations.SECURITY_SCHEMES,
            },
        },
        "paths": paths,
    }


Refs = Mapping[tuple[Any, JsonSchemaMode], dict[str, str]]  # (model, mode): its $ref


def _schemas(used: Iterable[Operation]) -> tuple[dict[str, Any], Refs]:
    """Request models in their validation form, answers in their serialization form (as the
    handlers write them: `from`, not the attribute's name)."""
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
    for operation in used:
        if operation.request is not None:
            wanted[(operation.request, "validation")] = None
        models = [a.model for a in operation.answers.values() if a.model is not None]
        models += [m for a in operation.answers.values() for m in a.alternatives]
        if operation.error_model is not None and operation.errors:
            models.append(operation.error_model)
        for model in models:
            wanted[(model, "serialization")] = None
    keys, schema = models_json_schema(list(wanted), ref_template="#/components/schemas/{model}")
    # a model used both ways gets a name per mode (-Input, -Output) only where the two differ
    return schema.get("$defs", {}), {key: dict(found) for key, found in keys.items()}


def _operation(operation: Operation, route: Route, refs: Refs) -> dict[str, Any]:
    entry: dict[str, Any] = {"summary": operation.summary, "tags": [operation.tag]}
    if operation.description:
        entry["description"] = operation.description
    params = [_path_param(name) for name in route.param_convertors]
    params += [_param(p) for p in operation.params]
    if params:
        entry["parameters"] = params
    body = (
        refs[(operation.request, "validation")]
        if operation.request is not None
        else operation.request_schema
    )
    if body is not None:
        entry["requestBody"] = {
            "required": True,
            "content": {media: {"schema": body} for media in operation.request_media},
        }
    entry["responses"] = _responses(operation, refs)
    entry["security"] = [{name: [] for name in operation.security}] if operation.security else []
    return entry


def _responses(operation: Operation, refs: Refs) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for status, answer in operation.answers.items():
        answers[str(status)] = _answer(answer, refs)
    by_status: dict[int, list[str]] = {}
    for code in operation.errors:
        by_status.setdefault(CATALOG[code].http_status, []).append(code)
    for status, codes in sorted(by_status.items()):
        listed = ", ".join(f"`{c}`" for c in codes)
        if str(status) in answers:  # e.g. the batch's 422: its own body or a catalog error
            answers[str(status)]["description"] += f". Error codes: {listed}"
            continue
        text = f"Error codes: {listed}"
        retry = {"Retry-After": "Seconds to wait"} if status in (429, 503) else {}
        answers[str(status)] = _answer(Answer(text, operation.error_model, headers=retry), refs)
    return dict(sorted(answers.items()))


def _answer(answer: Answer, refs: Refs) -> dict[str, Any]:
    shown: dict[str, Any] = {"description": answer.description}
    schema: Mapping[str, Any] | None = answer.schema
    if answer.model is not None:
        schema = refs[(answer.model, "serialization")]
        if answer.alternatives:
            others = [refs[(m, "serialization")] for m in answer.alternatives]
            schema = {"oneOf": [schema, *others]}
    if schema is not None:
        shown["content"] = {answer.media: {"schema": schema}}
    for media, other in answer.more_media.items():
        shown.setdefault("content", {})[media] = {"schema": other}
    if answer.headers:
        shown["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in answer.headers.items()
        }
    return shown


def _param(param: Param) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "name": param.name,
        "in": param.where,
        "required": param.required or param.where == "path",
        "schema": {"type": param.kind, **param.extra},
    }
    if param.description:
        shown["description"] = param.description
    return shown


def _path_param(name: str) -> dict[str, Any]:
    text = operations.PATH_PARAMS.get(name) or dialect_operations.PATH_PARAMS.get(name, "")
    return _param(Param(name, "path", text, required=True))
