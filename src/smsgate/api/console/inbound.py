"""Inbound: the MO inbox and the opt-out list (add, remove, import a CSV of numbers)."""

from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from smsgate.api.console.pages import render
from smsgate.api.console.visitors import Visitors
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway

PAGE: Final = 100
MAX_IMPORT: Final = 10_000  # numbers in one import
MAX_IMPORT_BYTES: Final = 512 * 1024


def routes(gateway: Gateway, visitors: Visitors) -> list[Route]:
    async def inbox(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        cursor = request.query_params.get("cursor") or None
        found, after = await gateway.queries.inbound(account.id, limit=PAGE, cursor=cursor)
        query = {"account": account.id, "cursor": after} if after else None
        return render(
            request,
            "inbound.html",
            visitor,
            account=account,
            accounts=await gateway.admin.accounts() if visitor.operator else [account],
            messages=found,
            next_page=f"?{urlencode(query)}" if query else None,
        )

    async def opt_outs(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        return render(
            request,
            "opt_outs.html",
            visitor,
            account=account,
            accounts=await gateway.admin.accounts() if visitor.operator else [account],
            opt_outs=await gateway.queries.opt_outs(account.id),
            imported=request.query_params.get("imported"),
        )

    async def change(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        imported = None
        upload = form.get("file")
        if upload is not None and not isinstance(upload, str) and upload.filename:
            data = await upload.read(MAX_IMPORT_BYTES + 1)
            if len(data) > MAX_IMPORT_BYTES:
                raise GatewayError("request_too_large", f"at most {MAX_IMPORT_BYTES} bytes")
            numbers = [
                line.split(",")[0].strip()
                for line in data.decode("utf-8-sig", "replace").splitlines()
                if line.strip() and line.split(",")[0].strip().lower() not in ("number", "to")
            ]
            if len(numbers) > MAX_IMPORT:
                raise GatewayError("request_too_large", f"at most {MAX_IMPORT} numbers")
            e164s = [gateway.router.destination(n[:40])[0] for n in numbers]
            for e164 in e164s:
                await gateway.inbound_desk.set_opt_out(account.id, e164, active=True)
            imported = len(e164s)
        else:
            number = str(form.get("number", ""))[:40].strip()
            if not number:
                raise GatewayError("missing_parameter", "a number is required")
            e164, _ = gateway.router.destination(number)
            active = form.get("action") != "remove"
            if not active and not gateway.opt_outs.blocked(account.id, e164):
                raise GatewayError("not_found", f"+{e164} has not opted out")
            await gateway.inbound_desk.set_opt_out(account.id, e164, active=active)
        query = {"account": account.id} | ({"imported": str(imported)} if imported else {})
        return RedirectResponse(f"/console/opt-outs?{urlencode(query)}", status_code=303)

    return [
        Route("/inbound", inbox, methods=["GET"]),
        Route("/opt-outs", opt_outs, methods=["GET"]),
        Route("/opt-outs", change, methods=["POST"]),
    ]
