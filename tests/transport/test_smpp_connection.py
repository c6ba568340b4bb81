"""A request whose answer goes to a function (`request_answered`), on a real socket: the
response from the read that carries it, or the error in its place when no answer comes in
time or the connection is lost; a function that raises is logged and the connection goes on."""

import asyncio
import logging

import pytest

from smsgate.smpp.pdu import BindTransceiver, Response, SubmitSm
from smsgate.smpp.session import SessionConfig
from smsgate.transport.smpp_connection import (
    ConnectionLostError,
    ResponseTimeoutError,
    SmppConnection,
    connect,
)
from tests.connectors.peer import ScriptedSmsc

WAIT = 5.0


async def bound(peer: ScriptedSmsc, response_timeout: float = 30.0) -> SmppConnection:
    await peer.start()
    config = SessionConfig(response_timeout=response_timeout, enquire_link_interval=None)
    bind = BindTransceiver(system_id="esme", password="pw")
    return await connect("127.0.0.1", peer.port, bind, lambda conn, pdu: None, config)


def submit() -> SubmitSm:
    return SubmitSm(source_addr="smsgate", destination_addr="15551230000", short_message=b"hi")


def test_the_response_is_handed_over_within_the_read_that_carries_it() -> None:
    async def main() -> None:
        peer = ScriptedSmsc()
        conn = await bound(peer)
        outcomes: list[tuple[int, Response | Exception]] = []
        read = conn.data_received
        during_read: list[int] = []

        def data_received(data: bytes) -> None:
            read(data)
            during_read.append(len(outcomes))

        conn.data_received = data_received  # type: ignore[method-assign]
        try:
            pdu = submit()
            conn.request_answered(pdu, lambda seq, outcome: outcomes.append((seq, outcome)))
            await peer.wait_for(SubmitSm)
            async with asyncio.timeout(WAIT):
                while not during_read:
                    await asyncio.sleep(0.01)
        finally:
            conn.close()
            await peer.stop()
        assert during_read[0] == 1
        seq, outcome = outcomes[0]
        assert seq == pdu.sequence_number
        assert isinstance(outcome, Response) and outcome.command_status == 0
        assert getattr(outcome, "message_id", "") == f"s{seq}"

    asyncio.run(main())


def test_no_answer_in_time_and_a_lost_connection_are_handed_over_as_errors() -> None:
    async def outcome_of(response_timeout: float, close: bool) -> Response | Exception:
        peer = ScriptedSmsc(answer_submits=False)
        conn = await bound(peer, response_timeout)
        outcomes: list[Response | Exception] = []
        try:
            conn.request_answered(submit(), lambda seq, outcome: outcomes.append(outcome))
            await peer.wait_for(SubmitSm)
            if close:
                conn.close()
            async with asyncio.timeout(WAIT):
                while not outcomes:
                    await asyncio.sleep(0.01)
        finally:
            conn.close()
            await peer.stop()
        assert len(outcomes) == 1
        return outcomes[0]

    async def main() -> None:
        assert isinstance(await outcome_of(0.2, close=False), ResponseTimeoutError)
        assert isinstance(await outcome_of(30.0, close=True), ConnectionLostError)

    asyncio.run(main())


def test_a_function_that_raises_is_logged_and_the_connection_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        peer = ScriptedSmsc()
        conn = await bound(peer)

        def broken(seq: int, outcome: Response | Exception) -> None:
            raise RuntimeError("broken handler")

        try:
            conn.request_answered(submit(), broken)
            response = await asyncio.wait_for(conn.call(submit()), WAIT)
            assert response.command_status == 0 and conn.is_open
        finally:
            conn.close()
            await peer.stop()

    with caplog.at_level(logging.ERROR, logger="smsgate.transport.smpp_connection"):
        asyncio.run(main())
    assert "handling the answer to a request failed" in caplog.text
