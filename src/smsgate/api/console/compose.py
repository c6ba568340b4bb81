"""Compose: one message (with a live segment and encoding counter), a bulk send from a CSV
with its progress, and the account's templates."""

import time
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from smsgate.api.console.bulk import BulkJobs, parse_csv, parse_schedule
from smsgate.api.console.pages import SECURITY_HEADERS, render
from smsgate.api.console.visitors import Visitors
from smsgate.domain.comment import split_comment
from smsgate.domain.errors import GatewayError
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway
from smsgate.text.errors import TextError
from smsgate.text.segmentation import measure

MAX_TEXT: Final = 10_000  # characters of one composed message (the engine caps segments)
MAX_UPLOAD: Final = 2 * 1024 * 1024  # bytes of one bulk CSV


def _field(form: object, name: str, limit: int = 200) -> str:
    value = form.get(name, "")  # type: ignore[attr-defined]
    if not isinstance(value, str):
        raise GatewayError("invalid_request", f"{name}: a text field")
    if len(value) > limit:
        raise GatewayError("parameter_too_long", f"{name}: at most {limit} characters")
    return value.strip() if name != "text" else value


def routes(gateway: Gateway, visitors: Visitors) -> list[Route]:
    jobs = BulkJobs(gateway)

    async def page(request: Request, error: str | None = None, status: int = 200) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        templates = await gateway.admin.templates(account.id)
        chosen = request.query_params.get("template", "")[:64]
        return render(
            request,
            "compose.html",
            visitor,
            status_code=status,
            account=account,
            accounts=await gateway.admin.accounts() if visitor.operator else [account],
            templates=templates,
            error=error,
            chosen=chosen,
            chosen_text=dict(templates).get(chosen, ""),
        )

    async def compose(request: Request) -> Response:
        return await page(request)

    async def send(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        command = SendCommand(
            to=_field(form, "to", 40),
            text=_field(form, "text", MAX_TEXT),
            sender=_field(form, "sender", 20) or None,
            client_ref=_field(form, "client_ref", 64) or None,
            tag=_field(form, "tag", 64) or None,
            scheduled_at=parse_schedule(_field(form, "schedule", 20)),
        )
        if not command.to or not command.text:
            raise GatewayError("missing_parameter", "a destination and a text are required")
        result = (await gateway.accept(account, [command]))[0]
        if isinstance(result, GatewayError):
            raise result
        query = urlencode({"account": account.id})
        return RedirectResponse(f"/console/messages/{result.id}?{query}", status_code=303)

    async def preview(request: Request) -> Response:
        """Encoding and segments of a text as it would be sent (the comment after a ~~~ line
        is not sent, so not counted)."""
        await visitors.visitor(request)
        text = request.query_params.get("text", "")[:MAX_TEXT]
        sent, comment = split_comment(text)
        try:
            size = measure(sent)
        except TextError as error:
            return JSONResponse({"error": str(error)}, status_code=422, headers=SECURITY_HEADERS)
        return JSONResponse(
            {
                "encoding": size.encoding.value,
                "characters": size.characters,
                "units": size.units,
                "segments": size.segments,
                "comment": comment is not None,
            },
            headers=SECURITY_HEADERS,
        )

    async def bulk(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise GatewayError("missing_parameter", "choose a CSV file")
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise GatewayError("request_too_large", f"a CSV is at most {MAX_UPLOAD} bytes")
        tag = _field(form, "tag", 64) or f"bulk-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
        commands, refused = parse_csv(data, parse_schedule(_field(form, "schedule", 20)), tag)
        job = jobs.start(account, visitor.user.name, commands, refused, tag)
        query = urlencode({"account": account.id})
        return RedirectResponse(f"/console/bulk/{job.id}?{query}", status_code=303)

    async def progress_page(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        job = jobs.job(request.path_params["job_id"], account.id)
        return render(request, "bulk.html", visitor, account=account, job=job)

    async def progress(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        job = jobs.job(request.path_params["job_id"], account.id)
        return JSONResponse(
            {
                "total": job.total,
                "done": job.done,
                "accepted": job.accepted,
                "errors": job.error_count,
                "finished": job.finished,
                "rows": [{"line": line, "reason": reason} for line, reason in job.errors[:200]],
            },
            headers=SECURITY_HEADERS,
        )

    async def save_template(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        form = await visitors.form(request, visitor)
        name = _field(form, "name", 64)
        if form.get("delete"):
            await gateway.admin.delete_template(account.id, name)
        else:
            await gateway.admin.save_template(account.id, name, _field(form, "text", 2000))
        query = urlencode({"account": account.id, "template": name})
        return RedirectResponse(f"/console/compose?{query}", status_code=303)

    return [
        Route("/compose", compose, methods=["GET"]),
        Route("/compose", send, methods=["POST"]),
        Route("/compose/preview", preview, methods=["GET"]),
        Route("/compose/bulk", bulk, methods=["POST"]),
        Route("/compose/templates", save_template, methods=["POST"]),
        # the JSON first: "{job_id}" alone would take "ID.json" too
        Route("/bulk/{job_id}.json", progress, methods=["GET"]),
        Route("/bulk/{job_id}", progress_page, methods=["GET"]),
    ]
