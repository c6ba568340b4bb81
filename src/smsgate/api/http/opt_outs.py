"""`/v1/opt-outs`: the numbers that opted out of the account's messages. An account can list
them, add one (an opt-out it received another way) and remove one (the person opted back in
another way); sending to a listed number is refused with `opted_out`."""

from typing import Final

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.api.http.auth import ApiKeyAuth
from smsgate.api.http.responses import JsonResponse
from smsgate.api.http.schemas import iso_time
from smsgate.api.http.v1 import parse_json
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway

MAX_BODY: Final = 4 * 1024


class OptOutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(description="+E.164, or national with the configured default country")


class OptOutView(BaseModel):
    number: str = Field(description="+E.164")
    since: str = Field(description="When the number opted out (ISO 8601)")


class OptOutList(BaseModel):
    opt_outs: list[OptOutView]


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[Route]:
    async def listing(request: Request) -> Response:
        account = await auth.account(request)
        found = await gateway.queries.opt_outs(account.id)
        views = [{"number": "+" + o.number, "since": iso_time(o.at)} for o in found]
        return JsonResponse({"opt_outs": views})

    async def add(request: Request) -> Response:
        account = await auth.account(request)
        number = (await parse_json(request, OptOutRequest, MAX_BODY)).number
        e164, _ = gateway.router.destination(number)
        await gateway.inbound_desk.set_opt_out(account.id, e164, active=True)
        return JsonResponse({"number": "+" + e164}, status_code=201)

    async def remove(request: Request) -> Response:
        account = await auth.account(request)
        e164, _ = gateway.router.destination(request.path_params["number"])
        if not gateway.opt_outs.blocked(account.id, e164):
            raise GatewayError("not_found", f"+{e164} has not opted out")
        await gateway.inbound_desk.set_opt_out(account.id, e164, active=False)
        return Response(status_code=204)

    return [
        Route("/v1/opt-outs", listing, methods=["GET"]),
        Route("/v1/opt-outs", add, methods=["POST"]),
        Route("/v1/opt-outs/{number}", remove, methods=["DELETE"]),
    ]
