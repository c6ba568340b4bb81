"""The one place that decides a request's client address: the connection's peer, or, when the
peer is a configured proxy, the address that proxy saw (X-Forwarded-For). Every address check
(accounts' allow-lists, SMSC.ru's block, the authentication limit, /metrics) reads
`request.client`, which this middleware sets; uvicorn's own proxy header handling is off, since
it believes loopback by default."""

from starlette.types import ASGIApp, Receive, Scope, Send

from smsgate.domain.allow_list import address_allowed


class ForwardedFor:
    def __init__(self, app: ASGIApp, trusted_proxies: str) -> None:
        self.app = app
        self.trusted = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted.strip() and scope.get("client"):
            client = self.client_address(scope["client"][0], scope["headers"])
            if client != scope["client"][0]:
                scope = dict(scope, client=(client, 0))
        await self.app(scope, receive, send)

    def address_of(self, scope: Scope) -> str | None:
        """The client address `request.client` would show below this middleware."""
        client = scope.get("client")
        if not client:
            return None
        peer: str = client[0]
        return self.client_address(peer, scope["headers"]) if self.trusted.strip() else peer

    def client_address(self, peer: str, headers: list[tuple[bytes, bytes]]) -> str:
        """Walking X-Forwarded-For from the right (the hop nearest to us), the first address
        that is not a trusted proxy: what is left of it, any client could have written."""
        if not self.is_proxy(peer):
            return peer
        hops = [
            hop.strip()
            for name, value in headers
            if name == b"x-forwarded-for"
            for hop in value.decode("latin-1").split(",")
        ]
        client = peer
        for hop in reversed(hops):
            if not hop:
                break
            client = hop
            if not self.is_proxy(hop):
                break
        return client

    def is_proxy(self, address: str) -> bool:
        return address_allowed(self.trusted, address)
