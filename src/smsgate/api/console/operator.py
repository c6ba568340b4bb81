"""Operators' pages: accounts (create, suspend, delete), console users, connectors (start,
stop), the outbox's dead letters (inspect, replay), error codes and their trend."""

import time
from dataclasses import replace
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from smsgate.api.console.pages import render
from smsgate.api.console.visitors import Visitors
from smsgate.domain.console_user import ConsoleUserError
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway
from smsgate.engine.stopped_connector import StoppedConnector

TREND_HOURS: Final = (1, 24, 24 * 7)
STOP_DRAIN: Final = 5.0  # seconds a stopped connector has to finish what is in flight


def routes(gateway: Gateway, visitors: Visitors) -> list[Route]:
    admin = gateway.admin

    async def accounts(request: Request) -> Response:
        visitor = await visitors.operator(request)
        return render(request, "accounts.html", visitor, accounts=await admin.accounts())

    async def create_account(request: Request) -> Response:
        visitor = await visitors.operator(request)
        form = await visitors.form(request, visitor)
        try:
            rate = float(str(form.get("rate", "30")))
        except ValueError:
            raise GatewayError("invalid_request", "the rate is a number") from None
        account, key = await admin.create_account(str(form.get("name", ""))[:200], rate)
        return render(
            request,
            "accounts.html",
            visitor,
            accounts=await admin.accounts(),
            created=account,
            new_key=key,
        )

    async def account_action(request: Request) -> Response:
        visitor = await visitors.operator(request)
        form = await visitors.form(request, visitor)
        account = await admin.account(request.path_params["account_id"])
        action = form.get("action")
        if action == "suspend":
            await admin.update_account(replace(account, enabled=False))
        elif action == "resume":
            await admin.update_account(replace(account, enabled=True))
        elif action == "delete":
            await admin.delete_account(account.id)
        else:
            raise GatewayError("invalid_request", "the action is suspend, resume or delete")
        return RedirectResponse("/console/accounts", status_code=303)

    async def users(request: Request) -> Response:
        visitor = await visitors.operator(request)
        return render(
            request,
            "users.html",
            visitor,
            users=await admin.users(),
            accounts=await admin.accounts(),
        )

    async def create_user(request: Request) -> Response:
        visitor = await visitors.operator(request)
        form = await visitors.form(request, visitor)
        try:
            await admin.create_user(
                str(form.get("name", "")),
                str(form.get("role", "")),
                str(form.get("password", "")),
                str(form.get("account_id", "")) or None,
            )
        except ConsoleUserError as error:
            raise GatewayError("invalid_request", str(error)) from None
        return RedirectResponse("/console/users", status_code=303)

    async def connectors(request: Request) -> Response:
        visitor = await visitors.operator(request)
        rows = await admin.connectors()
        live = gateway.connectors
        return render(
            request,
            "connectors.html",
            visitor,
            connectors=[(row, live.get(row.id)) for row in rows],
            stopped={cid for cid, c in live.items() if isinstance(c, StoppedConnector)},
            counters=gateway.counters,
            notice=request.query_params.get("notice", "")[:200],
        )

    async def connector_action(request: Request) -> Response:
        visitor = await visitors.operator(request)
        form = await visitors.form(request, visitor)
        connector_id = request.path_params["connector_id"]
        action = form.get("action")
        if action == "stop":
            handed = await gateway.stop_connector(connector_id, STOP_DRAIN)
            notice = f"{connector_id} stopped; {handed} parts it held are queued again"
        elif action == "start":
            started = await gateway.start_connector(connector_id)
            notice = f"{connector_id} started" if started else f"{connector_id} was running"
        else:
            raise GatewayError("invalid_request", "the action is start or stop")
        return RedirectResponse(
            f"/console/connectors?{urlencode({'notice': notice})}", status_code=303
        )

    async def dead_letters(request: Request) -> Response:
        visitor = await visitors.operator(request)
        return render(
            request,
            "dead_letters.html",
            visitor,
            items=await admin.dead_letters(limit=200),
            replayed=request.query_params.get("replayed"),
        )

    async def replay(request: Request) -> Response:
        visitor = await visitors.operator(request)
        form = await visitors.form(request, visitor)
        ids = [str(value)[:64] for value in form.getlist("id")]
        if not ids:
            raise GatewayError("missing_parameter", "tick the dead letters to replay")
        # due at once, and each channel's consumer woken to take them now
        count = await gateway.replay_dead_letters(ids)
        return RedirectResponse(f"/console/dead-letters?replayed={count}", status_code=303)

    async def errors(request: Request) -> Response:
        visitor = await visitors.operator(request)
        now = time.time()
        trend = {hours: dict(await admin.error_counts(now - hours * 3600)) for hours in TREND_HOURS}
        codes = sorted(
            set().union(*trend.values()), key=lambda c: -trend[TREND_HOURS[-1]].get(c, 0)
        )
        return render(request, "errors.html", visitor, trend=trend, codes=codes, hours=TREND_HOURS)

    return [
        Route("/accounts", accounts, methods=["GET"]),
        Route("/accounts", create_account, methods=["POST"]),
        Route("/accounts/{account_id}", account_action, methods=["POST"]),
        Route("/users", users, methods=["GET"]),
        Route("/users", create_user, methods=["POST"]),
        Route("/connectors", connectors, methods=["GET"]),
        Route("/connectors/{connector_id}", connector_action, methods=["POST"]),
        Route("/dead-letters", dead_letters, methods=["GET"]),
        Route("/dead-letters/replay", replay, methods=["POST"]),
        Route("/errors", errors, methods=["GET"]),
    ]
