"""uvicorn, run inside smsgate's own event loop and stopped by smsgate, not by its own signals."""

import contextlib
from collections.abc import Generator

import uvicorn
from starlette.applications import Starlette

from smsgate.api.http.connection import guarded_protocol
from smsgate.api.http.settings import HttpSettings


class HttpServer(uvicorn.Server):
    def __init__(
        self, app: Starlette, host: str, port: int, settings: HttpSettings | None = None
    ) -> None:
        settings = settings or HttpSettings()
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            access_log=False,
            log_level="warning",
            http=guarded_protocol(settings),  # httptools, with the head's size and time limits
            # typed int, used as call_later's delay: fractions work
            timeout_keep_alive=settings.keepalive_timeout,  # type: ignore[arg-type]
            # X-Forwarded-For is read by smsgate.api.http.forwarded, from configured proxies
            # only: uvicorn's own handling believes any loopback peer
            proxy_headers=False,
            loop="none",  # the caller's loop (uvloop when available)
            timeout_graceful_shutdown=5,
        )
        super().__init__(config)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # smsgate handles SIGINT/SIGTERM itself: it must drain the engine after HTTP stops
        yield

    @property
    def port(self) -> int:
        for server in self.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.config.port
