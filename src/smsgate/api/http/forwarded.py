"""The one place that decides a request's client address: the connection's peer, or, when the
peer is a configured proxy, the address that proxy saw (X-Forwarded-For). Every address check
(accounts' allow-lists, SMSC.ru's block, the authentication limit, /metrics) reads
`request.client`, which this middleware sets; uvicorn's own proxy header handling is off, since
it believes loopback by default. From a configured proxy, X-Forwarded-Proto sets the request's
scheme too: a proxy that ends TLS forwards plain http, and the console's cookie is Secure only
on https requests."""

from starlette.types import ASGIApp, Receive, Scope, Send

from smsgate.domain.allow_list import address_allowed


class ForwardedFor:
    def __init__(self, app: ASGIApp, trusted_proxies: str) -> None:
        self.app = app
        self.trusted = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted.strip() and scope.get("client"):
            peer = scope["client"][0]
            client = self.client_address(peer, scope["headers"])
            if client != peer:
                scope = dict(scope, client=(client, 0))
            scheme = self.scheme(peer, scope["headers"])
            if scheme is not None and scheme != scope.get("scheme"):
                scope = dict(scope, scheme=scheme)
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

    def scheme(self, peer: str, headers: list[tuple[bytes, bytes]]) -> str | None:
        """The scheme a trusted proxy says its client used (the last X-Forwarded-Proto, the
        nearest hop's); None when the peer is not a proxy or says nothing usable."""
        if not self.is_proxy(peer):
            return None
        said = [value for name, value in headers if name == b"x-forwarded-proto"]
        if not said:
            return None
        scheme = said[-1].decode("latin-1").split(",")[-1].strip().lower()
        return scheme if scheme in ("http", "https") else None

    def is_proxy(self, address: str) -> bool:
        return address_allowed(self.trusted, address)
