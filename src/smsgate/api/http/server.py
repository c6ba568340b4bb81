"""uvicorn, run inside smsgate's own event loop and stopped by smsgate, not by its own signals."""

import contextlib
from collections.abc import Generator

import uvicorn
from starlette.applications import Starlette


class HttpServer(uvicorn.Server):
    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            access_log=False,
            log_level="warning",
            http="httptools",
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
