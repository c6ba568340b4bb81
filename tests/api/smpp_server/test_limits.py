"""Connection and bind limits of the SMPP server, over real sockets to a running gateway."""

import asyncio
import logging
from pathlib import Path

import pytest

from smsgate.api.smpp_server import auth
from smsgate.api.smpp_server.bind_limits import BindGuard, BindLimits
from smsgate.engine.clock import ManualClock
from smsgate.smpp import codec
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import BindTransceiver, EnquireLink
from smsgate.transport.smpp_connection import SmppRequestError, connect
from tests.api.harness import Running
from tests.api.smpp_server.customers import TIMEOUT
from tests.api.smpp_server.test_sessions import run

S = CommandStatus
Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def bind_status(port: int, system_id: str, password: str = "secret") -> int:
    bind = BindTransceiver(system_id=system_id, password=password)
    try:
        connection = await connect("127.0.0.1", port, bind, lambda c, p: None)
    except SmppRequestError as refused:
        assert refused.response is not None
        return refused.response.command_status
    await connection.unbind_and_close()
    return 0


async def open_taken(port: int) -> Stream | None:
    """A new connection if the gateway takes it (it answers an enquire_link), else None."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(codec.encode(EnquireLink(sequence_number=1)))
    try:
        answer = await asyncio.wait_for(reader.read(16), TIMEOUT)
    except ConnectionError:
        answer = b""
    if answer:
        return reader, writer
    writer.close()
    return None


def test_connections_past_the_per_address_limit_are_refused(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        first, second = await open_taken(port), await open_taken(port)
        assert first is not None and second is not None
        assert await open_taken(port) is None  # a third from 127.0.0.1
        first[1].close()
        await asyncio.sleep(0.1)
        third = await open_taken(port)  # one closed: room again
        assert third is not None
        for _, writer in (second, third):
            writer.close()

    run(tmp_path, scenario, smpp_max_connections_per_address=2)


def test_unbound_connections_past_the_limit_are_refused_but_bound_ones_are_not(
    tmp_path: Path,
) -> None:
    async def scenario(gw: Running, port: int) -> None:
        idle = [await open_taken(port) for _ in range(2)]
        assert all(idle)
        assert await open_taken(port) is None  # a third unbound one
        for stream in idle[:1]:
            assert stream is not None
            stream[1].close()
        await asyncio.sleep(0.1)
        # a customer that binds frees its place among the unbound
        bound = await connect(
            "127.0.0.1",
            port,
            BindTransceiver(system_id="alice", password="secret"),
            lambda c, p: None,
        )
        another = await open_taken(port)
        assert another is not None
        await bound.unbind_and_close()
        for stream in (idle[1], another):
            assert stream is not None
            stream[1].close()

    run(tmp_path, scenario, smpp_max_unbound_connections=2)


def test_a_client_that_does_not_bind_in_time_is_disconnected(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        stream = await open_taken(port)
        assert stream is not None
        assert await asyncio.wait_for(stream[0].read(), TIMEOUT) == b""
        stream[1].close()

    run(tmp_path, scenario, smpp_bind_timeout=0.3)


def test_a_login_is_locked_after_failures_without_checking_its_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    check = auth.check_password

    def counted(password: str, stored: str) -> bool:
        checks.append(password)
        return check(password, stored)

    monkeypatch.setattr(auth, "check_password", counted)

    async def scenario(gw: Running, port: int) -> None:
        caplog.set_level(logging.WARNING, logger="smsgate.api.smpp_server.server")
        for _ in range(3):
            assert await bind_status(port, "alice", "guess") == S.ESME_RBINDFAIL
        assert len(checks) == 3
        # locked: even the right password is refused, and not checked
        assert await bind_status(port, "alice", "secret") == S.ESME_RBINDFAIL
        assert len(checks) == 3
        # failures are logged at WARNING, as counts per interval
        refusals = [r for r in caplog.records if "binds refused" in r.getMessage()]
        assert refusals and all(r.levelno == logging.WARNING for r in refusals)

    run(tmp_path, scenario, smpp_bind_login_failures=3, smpp_bind_address_failures=100)


def test_an_address_is_locked_after_failures_across_logins(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        for login in ("bob", "carol", "dave"):
            assert await bind_status(port, login, "guess") == S.ESME_RBINDFAIL
        assert await bind_status(port, "alice") == S.ESME_RBINDFAIL

    run(tmp_path, scenario, smpp_bind_login_failures=100, smpp_bind_address_failures=3)


def test_an_unknown_login_answers_as_a_wrong_password_after_a_password_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    check = auth.check_password

    def counted(password: str, stored: str) -> bool:
        checks.append(stored)
        return check(password, stored)

    monkeypatch.setattr(auth, "check_password", counted)

    async def scenario(gw: Running, port: int) -> None:
        assert await bind_status(port, "alice", "guess") == S.ESME_RBINDFAIL
        assert await bind_status(port, "mallory", "guess") == S.ESME_RBINDFAIL
        assert len(checks) == 2  # a hash was checked for the unknown login too
        assert checks[1].startswith("scrypt$")

    run(tmp_path, scenario)


def test_binds_pipelined_on_one_connection_are_checked_one_at_a_time(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        binds = (
            BindTransceiver(system_id="alice", password="guess", sequence_number=n)
            for n in range(1, 6)
        )
        writer.write(b"".join(codec.encode(b) for b in binds))
        answers = []
        for _ in range(5):
            header = await asyncio.wait_for(reader.readexactly(16), TIMEOUT)
            body = await reader.readexactly(int.from_bytes(header[:4], "big") - 16)
            answers.append(codec.decode(header + body))
        # the first is checked; the others, sent before its answer, are refused unchecked
        answers.sort(key=lambda a: a.sequence_number)
        assert answers[0].command_status == S.ESME_RBINDFAIL
        assert all(a.command_status in (S.ESME_RBINDFAIL, S.ESME_RALYBND) for a in answers)
        writer.close()
        # only the first was a failure of alice's: she is not locked
        assert await bind_status(port, "alice") == 0

    run(tmp_path, scenario, smpp_bind_login_failures=2)


def test_the_lockout_doubles_with_each_failure_and_is_forgotten() -> None:
    clock = ManualClock(0.0)
    guard = BindGuard(BindLimits(login_failures=2, lockout=60, lockout_max=600), clock.time)
    guard.failed("192.0.2.1", "alice")
    assert guard.locked("192.0.2.1", "alice") is None
    guard.failed("192.0.2.1", "alice")
    assert guard.locked("192.0.2.9", "alice") is not None  # the login, from any address
    clock.advance(61)
    assert guard.locked("192.0.2.1", "alice") is None
    guard.failed("192.0.2.1", "alice")  # the next failure locks for twice as long
    clock.advance(119)
    assert guard.locked("192.0.2.1", "alice") is not None
    clock.advance(2)
    assert guard.locked("192.0.2.1", "alice") is None
    guard.succeeded("alice")
    guard.failed("192.0.2.1", "alice")
    assert guard.locked("192.0.2.1", "alice") is None  # counting again from a success
