"""Server-rendered pages: Jinja2 templates (autoescaped) and the headers every page carries."""

import time
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

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


_ENVIRONMENT: Final = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
_ENVIRONMENT.filters["when"] = when
_ENVIRONMENT.filters["micros"] = micros


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
