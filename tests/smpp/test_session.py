"""The session state machine, both roles, without a network: bytes pass between two sessions."""

import pytest

from smsgate.smpp import codec
from smsgate.smpp.constants import MAX_SEQUENCE, CommandStatus
from smsgate.smpp.errors import SessionError, WindowFullError
from smsgate.smpp.pdu import (
    BindReceiver,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    DeliverSm,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    QuerySm,
    Request,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
)
from smsgate.smpp.session import (
    NEED_DATA,
    ConnectionClosed,
    EnquireLinkDue,
    Event,
    IdleTimeout,
    ProtocolError,
    ResponseReceived,
    ResponseTimeout,
    Role,
    SessionConfig,
    SmppSession,
    State,
    UnmatchedResponse,
)
from smsgate.smpp.tlv import Tag

S = CommandStatus


def events(session: SmppSession) -> list[Event]:
    out: list[Event] = []
    while (event := session.next_event()) is not NEED_DATA:
        assert not isinstance(event, type(NEED_DATA))
        out.append(event)
    return out


def deliver(data: bytes, to: SmppSession, now: float = 0.0) -> list[Event]:
    to.receive_data(data, now)
    return events(to)


def bound_pair(
    bind: Request | None = None, smsc_config: SessionConfig | None = None
) -> tuple[SmppSession, SmppSession]:
    esme = SmppSession(Role.ESME, now=0.0)
    smsc = SmppSession(Role.SMSC, smsc_config, now=0.0)
    request = bind or BindTransceiver(system_id="acme", password="secret")
    (received,) = deliver(esme.send(request, 0.0), smsc)
    assert isinstance(received, Request)
    assert smsc.state is State.BINDING
    resp = received.response(0, system_id="smsgate")
    resp.tlvs[Tag.SC_INTERFACE_VERSION] = 0x34
    (answer,) = deliver(smsc.send(resp, 0.0), esme)
    assert isinstance(answer, ResponseReceived)
    return esme, smsc


def test_bind_transceiver_binds_both_sides() -> None:
    esme, smsc = bound_pair()
    assert esme.state is State.BOUND_TRX and smsc.state is State.BOUND_TRX
    assert smsc.peer_system_id == "acme" and smsc.peer_interface_version == 0x34
    assert esme.peer_system_id == "smsgate" and esme.peer_interface_version == 0x34


@pytest.mark.parametrize(
    ("bind", "state"),
    [(BindTransmitter(), State.BOUND_TX), (BindReceiver(), State.BOUND_RX)],
)
def test_bind_kinds(bind: Request, state: State) -> None:
    esme, smsc = bound_pair(bind)
    assert esme.state is state and smsc.state is state


def test_failed_bind_returns_to_open() -> None:
    esme = SmppSession(Role.ESME, now=0.0)
    smsc = SmppSession(Role.SMSC, now=0.0)
    (bind,) = deliver(esme.send(BindTransceiver(password="wrong"), 0.0), smsc)
    assert isinstance(bind, BindTransceiver)
    (answer,) = deliver(smsc.send(bind.response(S.ESME_RINVPASWD), 0.0), esme)
    assert isinstance(answer, ResponseReceived)
    assert answer.response.command_status == S.ESME_RINVPASWD
    assert esme.state is State.OPEN and smsc.state is State.OPEN


def test_submit_before_bind_is_refused_on_both_sides() -> None:
    esme = SmppSession(Role.ESME, now=0.0)
    with pytest.raises(SessionError):
        esme.send(SubmitSm(destination_addr="1"), 0.0)
    smsc = SmppSession(Role.SMSC, now=0.0)
    (error,) = deliver(codec.encode(SubmitSm(5, destination_addr="1")), smsc)
    assert isinstance(error, ProtocolError) and not error.fatal
    assert isinstance(error.reply, SubmitSmResp)
    assert error.reply.command_status == S.ESME_RINVBNDSTS
    assert error.reply.sequence_number == 5
    assert codec.decode(smsc.send(error.reply, 0.0)) == error.reply


def test_second_bind_gets_already_bound() -> None:
    _, smsc = bound_pair()
    (error,) = deliver(codec.encode(BindTransmitter(9)), smsc)
    assert isinstance(error, ProtocolError)
    assert error.status == S.ESME_RALYBND and error.reply is not None
    assert error.reply.sequence_number == 9
    assert smsc.state is State.BOUND_TRX


def test_direction_is_enforced() -> None:
    esme, smsc = bound_pair(BindTransmitter())
    # deliver_sm goes SMSC -> ESME only, and not on a transmitter bind
    with pytest.raises(SessionError):
        smsc.send(DeliverSm(), 0.0)
    (error,) = deliver(codec.encode(DeliverSm(3)), esme)
    assert isinstance(error, ProtocolError) and error.status == S.ESME_RINVBNDSTS
    # an ESME never receives submit_sm
    esme2, _ = bound_pair()
    (error,) = deliver(codec.encode(SubmitSm(4)), esme2)
    assert isinstance(error, ProtocolError) and error.status == S.ESME_RINVBNDSTS


def test_submit_and_response_are_matched() -> None:
    esme, smsc = bound_pair()
    data = esme.send(SubmitSm(destination_addr="819012345678", short_message=b"hi"), 1.0)
    assert esme.outstanding == 1
    (submit,) = deliver(data, smsc, 1.0)
    assert isinstance(submit, SubmitSm) and submit.short_message == b"hi"
    assert smsc.unanswered == 1
    (answer,) = deliver(smsc.send(submit.response(message_id="abc"), 1.2), esme, 1.25)
    assert isinstance(answer, ResponseReceived)
    assert answer.request is not None and answer.request.sequence_number == submit.sequence_number
    assert isinstance(answer.response, SubmitSmResp) and answer.response.message_id == "abc"
    assert answer.rtt == pytest.approx(0.25)
    assert esme.outstanding == 0 and smsc.unanswered == 0


def test_sequence_numbers_increase_and_wrap() -> None:
    esme, _ = bound_pair()
    first = SubmitSm()
    esme.send(first, 0.0)
    second = SubmitSm()
    esme.send(second, 0.0)
    assert second.sequence_number == first.sequence_number + 1
    esme._sequence = MAX_SEQUENCE - 1
    a, b = SubmitSm(), SubmitSm()
    esme.send(a, 0.0)
    esme.send(b, 0.0)
    assert (a.sequence_number, b.sequence_number) == (MAX_SEQUENCE, 1)


def test_window_limits_outstanding_requests_but_not_keepalive() -> None:
    esme, smsc = bound_pair()
    esme.config = SessionConfig(window=3)
    sent = [esme.send(SubmitSm(), 0.0) for _ in range(3)]
    assert esme.window_free == 0
    with pytest.raises(WindowFullError):
        esme.send(SubmitSm(), 0.0)
    # control PDUs pass a full window
    sent.append(esme.send(EnquireLink(), 0.0))
    received = deliver(b"".join(sent), smsc)
    assert isinstance(received[0], SubmitSm) and isinstance(received[-1], EnquireLink)
    deliver(smsc.send(received[0].response(message_id="1"), 0.0), esme)
    assert esme.window_free == 0  # the enquire_link still occupies a slot
    deliver(smsc.send(received[-1].response(), 0.0), esme)
    assert esme.window_free == 1
    esme.send(SubmitSm(), 0.0)


def test_peer_window_overflow_answers_msgqful() -> None:
    esme, smsc = bound_pair(smsc_config=SessionConfig(peer_window=2))
    data = b"".join(esme.send(SubmitSm(), 0.0) for _ in range(3))
    first, second, third = deliver(data, smsc)
    assert isinstance(first, SubmitSm) and isinstance(second, SubmitSm)
    assert isinstance(third, ProtocolError) and third.status == S.ESME_RMSGQFUL
    assert third.reply is not None
    smsc.send(third.reply, 0.0)
    smsc.send(first.response(message_id="a"), 0.0)
    (fourth,) = deliver(esme.send(SubmitSm(), 0.0), smsc)
    assert isinstance(fourth, SubmitSm)


def test_generic_nack_answers_pending_request() -> None:
    esme, _ = bound_pair()
    submit = SubmitSm()
    esme.send(submit, 0.0)
    (answer,) = deliver(codec.encode(GenericNack(submit.sequence_number, S.ESME_RINVCMDID)), esme)
    assert isinstance(answer, ResponseReceived) and answer.request is submit
    assert esme.outstanding == 0


def test_unmatched_and_mismatched_responses() -> None:
    esme, _ = bound_pair()
    (stray,) = deliver(codec.encode(SubmitSmResp(777, message_id="x")), esme)
    assert isinstance(stray, UnmatchedResponse)
    query = QuerySm(message_id="1")
    esme.send(query, 0.0)
    (wrong,) = deliver(codec.encode(SubmitSmResp(query.sequence_number)), esme)
    assert isinstance(wrong, UnmatchedResponse)
    assert esme.outstanding == 1  # the query still waits for its own response


def test_responding_to_nothing_is_a_local_error() -> None:
    _, smsc = bound_pair()
    with pytest.raises(SessionError):
        smsc.send(SubmitSmResp(12345), 0.0)


def test_unknown_command_gets_generic_nack_and_stream_continues() -> None:
    _, smsc = bound_pair()
    garbage = bytes.fromhex("00000010 00000999 00000000 0000002a".replace(" ", ""))
    follow = codec.encode(EnquireLink(43))
    error, link = deliver(garbage + follow, smsc)
    assert isinstance(error, ProtocolError) and not error.fatal
    assert isinstance(error.reply, GenericNack)
    assert error.reply.command_status == S.ESME_RINVCMDID and error.reply.sequence_number == 42
    assert isinstance(link, EnquireLink)
    assert isinstance(codec.decode(smsc.send(link.response(), 0.0)), EnquireLinkResp)


def test_truncated_body_is_answered_with_its_own_response() -> None:
    _, smsc = bound_pair()
    full = codec.encode(SubmitSm(8, source_addr="123", destination_addr="456"))
    body = full[16:30]
    pdu = (16 + len(body)).to_bytes(4, "big") + full[4:16] + body
    (error,) = deliver(pdu, smsc)
    assert isinstance(error, ProtocolError) and not error.fatal
    assert isinstance(error.reply, SubmitSmResp)
    assert error.reply.command_status == S.ESME_RINVCMDLEN
    assert error.reply.sequence_number == 8


@pytest.mark.parametrize("length", [0, 15, 10_000_000])
def test_bad_command_length_is_fatal(length: int) -> None:
    _, smsc = bound_pair()
    data = length.to_bytes(4, "big") + bytes.fromhex("00000015000000000000000b")
    (error,) = deliver(data, smsc)
    assert isinstance(error, ProtocolError) and error.fatal
    assert isinstance(error.reply, GenericNack)
    assert error.reply.command_status == S.ESME_RINVCMDLEN
    assert smsc.state is State.CLOSED
    assert codec.decode(smsc.send(error.reply, 0.0)) == error.reply  # the last words go out
    with pytest.raises(SessionError):
        smsc.send(error.reply, 0.0)


def test_byte_by_byte_arrival() -> None:
    esme, smsc = bound_pair()
    data = esme.send(SubmitSm(short_message=b"x" * 100), 0.0) + esme.send(EnquireLink(), 0.0)
    seen: list[Event] = []
    for i in range(len(data)):
        seen += deliver(data[i : i + 1], smsc)
    assert [type(e) for e in seen] == [SubmitSm, EnquireLink]


def test_unbind_from_esme() -> None:
    esme, smsc = bound_pair()
    (unbind,) = deliver(esme.send(Unbind(), 0.0), smsc)
    assert esme.state is State.UNBINDING
    assert isinstance(unbind, Unbind)
    (answer,) = deliver(smsc.send(unbind.response(), 0.0), esme)
    assert smsc.state is State.UNBOUND and esme.state is State.UNBOUND
    assert isinstance(answer, ResponseReceived) and isinstance(answer.response, UnbindResp)


def test_unbind_from_smsc() -> None:
    esme, smsc = bound_pair()
    (unbind,) = deliver(smsc.send(Unbind(), 0.0), esme)
    assert isinstance(unbind, Unbind)
    deliver(esme.send(unbind.response(), 0.0), smsc)
    assert smsc.state is State.UNBOUND and esme.state is State.UNBOUND


def test_outbind_then_bind_receiver() -> None:
    smsc = SmppSession(Role.SMSC, now=0.0)
    esme = SmppSession(Role.ESME, now=0.0)
    (outbind,) = deliver(smsc.send(Outbind(system_id="carrier", password="pw"), 0.0), esme)
    assert isinstance(outbind, Outbind) and smsc.state is State.OUTBOUND
    assert esme.unanswered == 0  # outbind has no response
    # After an outbind the ESME binds as a receiver; the SMSC session of the new connection
    # accepts it in the ordinary way.
    fresh = SmppSession(Role.SMSC, now=0.0)
    (bind,) = deliver(esme.send(BindReceiver(system_id="carrier"), 0.0), fresh)
    assert isinstance(bind, BindReceiver)


def test_response_timeout_frees_the_window() -> None:
    esme, _ = bound_pair()
    esme.config = SessionConfig(response_timeout=5.0, enquire_link_interval=None)
    submit = SubmitSm()
    esme.send(submit, 10.0)
    assert esme.next_deadline() == 15.0
    esme.poll_timers(14.9)
    assert events(esme) == []
    esme.poll_timers(15.0)
    (timeout,) = events(esme)
    assert isinstance(timeout, ResponseTimeout) and timeout.request is submit
    assert esme.outstanding == 0
    # the late response is reported, not mistaken for another request's
    (late,) = deliver(codec.encode(SubmitSmResp(submit.sequence_number)), esme, 16.0)
    assert isinstance(late, UnmatchedResponse)


def test_enquire_link_due_after_silence_and_once_only() -> None:
    esme, smsc = bound_pair()
    esme.config = SessionConfig(enquire_link_interval=30.0)
    assert esme.next_deadline() == 30.0
    esme.poll_timers(29.0)
    assert events(esme) == []
    esme.poll_timers(30.0)
    assert [type(e) for e in events(esme)] == [EnquireLinkDue]
    esme.poll_timers(31.0)
    assert events(esme) == []  # not again while one is due/outstanding
    (link,) = deliver(esme.send(EnquireLink(), 31.0), smsc, 31.0)
    assert isinstance(link, EnquireLink)
    deliver(smsc.send(link.response(), 31.0), esme, 31.1)
    assert esme.next_deadline() == pytest.approx(61.1)


def test_inactivity_timeout() -> None:
    smsc = SmppSession(
        Role.SMSC, SessionConfig(enquire_link_interval=None, inactivity_timeout=120.0), now=0.0
    )
    smsc.receive_data(codec.encode(EnquireLink(1)), 100.0)
    events(smsc)
    assert smsc.next_deadline() == 220.0
    smsc.poll_timers(219.0)
    assert events(smsc) == []
    smsc.poll_timers(220.0)
    assert [type(e) for e in events(smsc)] == [IdleTimeout]
    smsc.poll_timers(300.0)
    assert events(smsc) == []


def test_pending_requests_survive_for_requeue() -> None:
    esme, _ = bound_pair()
    submits = [SubmitSm(short_message=bytes([i])) for i in range(5)]
    for submit in submits:
        esme.send(submit, 0.0)
    assert esme.pending_requests() == submits


def test_connection_closed() -> None:
    esme, smsc = bound_pair()
    smsc.receive_data(b"", 1.0)
    assert isinstance(smsc.next_event(), ConnectionClosed)
    assert smsc.state is State.CLOSED
    with pytest.raises(SessionError):
        smsc.send(EnquireLink(), 1.0)
    with pytest.raises(SessionError):
        smsc.receive_data(b"x", 1.0)
    assert esme.is_bound


def test_bind_resp_accepts_interface_version_absent() -> None:
    esme = SmppSession(Role.ESME, now=0.0)
    esme.send(BindTransceiver(), 0.0)
    (answer,) = deliver(codec.encode(BindTransceiverResp(1, system_id="old")), esme)
    assert isinstance(answer, ResponseReceived)
    assert esme.state is State.BOUND_TRX and esme.peer_interface_version is None
