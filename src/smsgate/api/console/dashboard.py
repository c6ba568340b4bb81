"""The dashboard: traffic per minute, delivery rate, latency, messages by channel and fallbacks,
binds and windows, queue and outbox depth, balance. The figures are a fragment the page fetches
again every few seconds."""

import time

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from smsgate.api.console.charts import Line, chart
from smsgate.api.console.pages import SECURITY_HEADERS, fragment, render
from smsgate.api.console.traffic import TrafficSampler
from smsgate.api.console.visitors import Visitor, Visitors
from smsgate.domain.account import Account
from smsgate.engine.gateway import Gateway


def routes(gateway: Gateway, visitors: Visitors) -> list[Route]:
    traffic = TrafficSampler(gateway.counters, gateway.clock.time)
    gateway.listeners.append(traffic.on_status)
    gateway.on_stop.append(traffic.stop)

    async def figures(visitor: Visitor, account: Account) -> dict[str, object]:
        balance = await gateway.queries.balance(account.id)
        shown: dict[str, object] = {"account": account, "balance": balance, "visitor": visitor}
        if not visitor.operator:
            return shown  # the gateway's own figures are every account's traffic
        traffic.ensure_running()
        minutes = traffic.series()
        delivered = sum(m.delivered for m in minutes)
        failed = sum(m.failed for m in minutes)
        latency = gateway.submit_latency
        shown.update(
            chart=chart(
                [
                    Line("accepted", "accepted", [m.accepted for m in minutes]),
                    Line("sent", "sent", [m.sent for m in minutes]),
                    Line("delivered", "delivered", [m.delivered for m in minutes]),
                    Line("failed", "failed", [m.failed for m in minutes]),
                ]
            ),
            last=minutes[-1],
            delivery_rate=None if not delivered + failed else delivered / (delivered + failed),
            latency={q: latency.quantile(q / 100) * 1000 for q in (50, 90, 99)},
            latency_count=latency.count,
            connectors=[
                (cid, c.links_up, c.in_flight, c.queue_depth)
                for cid, c in sorted(gateway.connectors.items())
            ],
            by_channel=sorted(gateway.counters.by_channel.items()),
            fell_back=gateway.counters.fell_back,
            queue=len(gateway.dispatcher),
            outbox=await gateway.admin.outbox_depth(),
            backlog=gateway.writer.backlog + gateway.queries.store_backlog,
            updated=time.time(),
        )
        return shown

    async def dashboard(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        return render(
            request,
            "dashboard.html",
            visitor,
            account=account,
            accounts=await gateway.admin.accounts() if visitor.operator else [account],
            panel=fragment("dashboard_panel.html", **await figures(visitor, account)),
        )

    async def panel(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        body = fragment("dashboard_panel.html", **await figures(visitor, account))
        return HTMLResponse(body, headers=SECURITY_HEADERS)

    return [
        Route("/", dashboard, methods=["GET"]),
        Route("/dashboard/panel", panel, methods=["GET"]),
    ]
