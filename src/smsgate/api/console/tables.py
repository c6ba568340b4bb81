"""The operator's routing tables: the route table, carrier prefixes and ported numbers, shown
and imported from CSV files. A file is checked whole before anything is written (the bad lines
are listed); once written, the gateway's router reads the tables again, so the next message
takes the new routes without a restart. Other nodes read them at their next start.

The files' formats: `smsgate.domain.table_files` (routes, prefixes) and
`smsgate.domain.carriers.load_portability_csv` (ported numbers), which the CLI reads too."""

from typing import Any, Final

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.api.console.pages import render
from smsgate.api.console.visitors import Visitor, Visitors
from smsgate.domain.carriers import PortabilityFileError, load_portability_csv
from smsgate.domain.errors import GatewayError
from smsgate.domain.table_files import TableFileError, load_prefixes_csv, load_routes_csv
from smsgate.engine.gateway import Gateway

MAX_PREFIXES_SHOWN: Final = 500
MAX_FILE: Final = 3 * 1024 * 1024  # bytes of one file (a form is at most 4 MiB); more: the CLI
PREFIX_SOURCE: Final = "console"  # prefixes imported here replace the previous import's
TABLES: Final = ("routes", "prefixes", "portability")


def routes(gateway: Gateway, visitors: Visitors) -> list[Route]:
    admin = gateway.admin

    async def page(request: Request, visitor: Visitor, status: int = 200, **shown: Any) -> Response:
        prefixes = await admin.carrier_prefixes()
        return render(
            request,
            "routes.html",
            visitor,
            status_code=status,
            routes=await admin.routes(),
            prices=await admin.prices(),
            prefixes=prefixes[:MAX_PREFIXES_SHOWN],
            prefix_count=len(prefixes),
            ported_count=await admin.portability_count(),
            **shown,
        )

    async def show(request: Request) -> Response:
        return await page(request, await visitors.operator(request))

    async def import_table(request: Request) -> Response:
        visitor = await visitors.operator(request)
        form = await visitors.form(request, visitor)
        table = str(form.get("table", ""))
        if table not in TABLES:
            raise GatewayError("invalid_request", f"the table is one of {', '.join(TABLES)}")
        text = await _file_text(form)
        try:
            written = await _write(gateway, table, text, str(form.get("country", "")))
        except (TableFileError, PortabilityFileError) as error:
            lines = [str(e) for e in error.errors]
            more = error.count - len(lines)
            return await page(
                request, visitor, 422, import_errors=lines, more_errors=more, table=table
            )
        await gateway.reload_routes()
        return await page(request, visitor, notice=f"{written} {_NAMES[table]} imported.")

    return [
        Route("/routes", show, methods=["GET"]),
        Route("/routes/import", import_table, methods=["POST"]),
    ]


_NAMES: Final = {
    "routes": "routes",
    "prefixes": "carrier prefixes",
    "portability": "ported numbers",
}


async def _file_text(form: FormData) -> str:
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise GatewayError("missing_parameter", "choose a CSV file")
    data = await upload.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise GatewayError(
            "request_too_large",
            f"a file is at most {MAX_FILE} bytes here; import larger ones with smsgate carriers",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GatewayError("invalid_request", "the file is not UTF-8 text") from None


async def _write(gateway: Gateway, table: str, text: str, country: str) -> int:
    """Check the whole file, then write it: how many rows."""
    admin = gateway.admin
    if table == "routes":
        rows = load_routes_csv(text)
        await admin.replace_routes(rows)
        return len(rows)
    if table == "prefixes":
        return await admin.replace_carrier_prefixes(load_prefixes_csv(text), PREFIX_SOURCE)
    region = country.strip().upper() or None
    if region is not None and not (len(region) == 2 and region.isascii() and region.isalpha()):
        raise GatewayError("invalid_request", "the country is a region code such as JP")
    return await admin.import_portability(load_portability_csv(text, default_country=region))
