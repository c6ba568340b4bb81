"""Compatible APIs: each dialect speaks another platform's HTTP API on top of the engine.

A dialect module translates its platform's requests into the engine's commands and the results
back into that platform's shapes and codes; it holds no business logic. Each module exposes a
route factory taking the gateway and the app's API key lookup; FACTORIES lists them and
`routes` mounts them all in the app.
"""

from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute

from smsgate.api.http.auth import ApiKeyAuth
from smsgate.api.http.dialects import (
    kddi,
    kddi_view,
    p5,
    p5_view,
    reach,
    reach_view,
    smsc_ru,
)
from smsgate.callbacks.formats import CallbackFormat
from smsgate.engine.gateway import Gateway

RouteFactory = Callable[[Gateway, ApiKeyAuth], Sequence[BaseRoute]]

FACTORIES: tuple[RouteFactory, ...] = (reach.routes, p5.routes, kddi.routes, smsc_ru.routes)
# the dialects' shapes of callbacks, by the name an account gives as its callback_format
CALLBACK_FORMATS: dict[str, CallbackFormat] = {
    kddi_view.CALLBACK_FORMAT.name: kddi_view.CALLBACK_FORMAT,
    reach_view.CALLBACK_FORMAT.name: reach_view.CALLBACK_FORMAT,
    p5_view.CALLBACK_FORMAT.name: p5_view.CALLBACK_FORMAT,
}


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[BaseRoute]:
    """Every dialect's routes, in the order of FACTORIES; they share the app's cache of API
    keys."""
    return [route for factory in FACTORIES for route in factory(gateway, auth)]
