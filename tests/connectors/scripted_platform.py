"""A loopback HTTP server that answers what a test scripts, for the connectors' REST clients:
the exact bytes of each request they write are kept, and each is answered with the next
scripted answer, also as exact bytes (so a test can send what a real client could meet:
odd headers, a body too large, chunks, no answer at all)."""

import asyncio
import re


class ScriptedPlatform:
    """Answers each request with the next of `answers`: bytes are written as they are, None
    holds the request unanswered until the client gives up. Connections are served one
    request after the other, as keep-alive clients use them; `connections` counts them."""

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = answers
        self.requests: list[bytes] = []
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        """Listen on a free loopback port; the platform's root URL."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length: (\d+)", head)
                self.requests.append(
                    head + await reader.readexactly(int(length[1]) if length else 0)
                )
                answer = self.answers.pop(0)
                if answer is None:
                    await reader.read()
                    return
                writer.write(answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def answer(status: int, body: bytes, *headers: bytes) -> bytes:
    """An HTTP/1.1 answer with a Content-Length and `headers` (each `Name: value`)."""
    head = b"".join(b"%s\r\n" % header for header in headers)
    return b"HTTP/1.1 %d X\r\n%sContent-Length: %d\r\n\r\n%s" % (status, head, len(body), body)


def split(request: bytes) -> tuple[list[bytes], bytes]:
    """A request's lines before the blank one (request line first), and its body."""
    head, body = request.split(b"\r\n\r\n", 1)
    return head.split(b"\r\n"), body
