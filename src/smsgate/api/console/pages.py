"""Server-rendered pages: Jinja2 templates (autoescaped) and the headers every page carries."""

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, StreamingResponse

from smsgate.api.console.visitors import Visitor

TEMPLATES: Final = Path(__file__).parent / "templates"
STATIC: Final = Path(__file__).parent / "static"

# no inline script or style anywhere: a script injected into a page would not run
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(seconds: float | None) -> str:
    """A time as UTC, to the second: what an operator compares with logs."""
    if seconds is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def micros(amount: int | None) -> str:
    """A balance in millionths of its currency, as a decimal."""
    if amount is None:
        return ""
    return f"{amount / 1_000_000:,.2f}"


# characters of a streamed page sent at a time: the first chunk small (the head and the first
# rows out at once), the others larger (fewer writes)
STREAM_FIRST: Final = 16 * 1024
STREAM_CHUNK: Final = 64 * 1024


def _environment(enable_async: bool) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        enable_async=enable_async,
    )
    environment.filters["when"] = when
    environment.filters["micros"] = micros
    return environment


_ENVIRONMENT: Final = _environment(enable_async=False)
# pages whose rows are read from the store while the page is sent: a template's `for` takes
# an async iterator there
_STREAMING: Final = _environment(enable_async=True)


def render(
    request: Request,
    template: str,
    visitor: Visitor | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    body = _ENVIRONMENT.get_template(template).render(
        request=request, visitor=visitor, path=request.url.path, **context
    )
    return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


def fragment(template: str, **context: Any) -> str:
    """A template rendered on its own (a part of a page that is refreshed)."""
    return _ENVIRONMENT.get_template(template).render(**context)


def stream(
    request: Request, template: str, visitor: Visitor | None, **context: Any
) -> StreamingResponse:
    """A page sent while it is rendered, in chunks of about STREAM_CHUNK characters: its head
    goes out before the rows an async iterator in `context` yields are all read."""

    async def chunks() -> AsyncIterator[str]:
        pending: list[str] = []
        size, limit = 0, STREAM_FIRST
        page = _STREAMING.get_template(template).generate_async(
            request=request, visitor=visitor, path=request.url.path, **context
        )
        async for text in page:
            pending.append(text)
            size += len(text)
            if size >= limit:
                yield "".join(pending)
                pending, size, limit = [], 0, STREAM_CHUNK
        if pending:
            yield "".join(pending)

    return StreamingResponse(
        chunks(), media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS
    )
