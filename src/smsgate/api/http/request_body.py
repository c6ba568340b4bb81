"""Reading a request's body with a size limit (a body past it is refused, not buffered)."""

from starlette.requests import Request

from smsgate.domain.errors import GatewayError


async def read_body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise GatewayError("request_too_large", f"at most {limit} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise GatewayError("request_too_large", f"at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
