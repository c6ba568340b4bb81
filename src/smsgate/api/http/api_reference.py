"""`/docs`: the API reference, the OpenAPI document rendered by Swagger UI. Its script and style
sheet are shipped in this package (swagger_ui/) and served from here, so the page works
offline and loads nothing from elsewhere."""

from functools import cache
from importlib import resources
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

ASSETS_PATH: Final = "/docs/assets"
# the files served, and their media types; nothing else in the folder is reachable
ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "LICENSE": "text/plain; charset=utf-8",
    "NOTICE": "text/plain; charset=utf-8",
}

# relative addresses: the page works behind a proxy that mounts smsgate under a prefix
PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>smsgate API reference</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  docExpansion: "list",
  // the default sends the document to an online validator
  validatorUrl: null
});
</script>
</body>
</html>
"""


@cache
def asset(name: str) -> bytes:
    return resources.files(__package__).joinpath("swagger_ui", name).read_bytes()


async def docs(request: Request) -> Response:
    return HTMLResponse(PAGE)


async def docs_asset(request: Request) -> Response:
    name = request.path_params["name"]
    media = ASSETS.get(name)
    if media is None:
        raise HTTPException(404, f"no asset {name!r}")
    # the files change only with smsgate's version
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(asset(name), media_type=media, headers=headers)


def routes() -> list[Route]:
    return [
        Route("/docs", docs, methods=["GET"]),
        Route(ASSETS_PATH + "/{name}", docs_asset, methods=["GET"]),
    ]
