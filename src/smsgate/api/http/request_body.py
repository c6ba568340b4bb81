"""Reading a request's body with a size limit (a body past it is refused, not buffered)."""

from collections.abc import AsyncIterator

from starlette.requests import Request

from smsgate.domain.errors import GatewayError


async def read_body(request: Request, limit: int) -> bytes:
    check_length(request.headers.get("content-length"), limit)
    return await gather(request.stream(), limit)


def check_length(length: str | None, limit: int) -> None:
    """A declared Content-Length past `limit` is refused before any of the body is read."""
    if length is not None and length.isdigit() and int(length) > limit:
        raise GatewayError("request_too_large", f"at most {limit} bytes")


async def gather(stream: AsyncIterator[bytes], limit: int) -> bytes:
    chunks = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise GatewayError("request_too_large", f"at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
