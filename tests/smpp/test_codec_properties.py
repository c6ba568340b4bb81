"""SMPP codec properties: round trips for every PDU class, PduDecodeError (and nothing else) for
any input, the right sequence number in every error, and agreement of the compiled fast path with
the checked path it falls back to."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.smpp import codec
from smsgate.smpp.constants import HEADER_SIZE, CommandId, CommandStatus
from smsgate.smpp.errors import PduDecodeError, PduEncodeError
from smsgate.smpp.pdu import PDU_BY_ID, PDU_CLASSES, Pdu
from smsgate.smpp.tlv import TLV_TYPES
from tests.smpp.strategies import (
    U8,
    U32,
    pdus,
    pdus_of,
    property_settings,
    wire_fields,
)

CLASS_IDS = [cls.__name__ for cls in PDU_CLASSES]
# Command ids that no PDU class has: the decoder must answer ESME_RINVCMDID.
UNKNOWN_IDS = [0x00000000, 0x0000000A, 0x00000016, 0x80000099, 0x7FFFFFFF, 0xFFFFFFFF]


def namespace(cls: type[Pdu]) -> dict[str, Any]:
    """The globals of the code compiled for cls: `decode`, `decode_checked`, `encode`,
    `encode_checked` (the fast path is `decode`/`encode` when the class has one)."""
    ns: dict[str, Any] = codec._DECODERS[cls.command_id].__globals__
    assert ns["cls"] is cls
    return ns


def has_fast_path(cls: type[Pdu]) -> bool:
    ns = namespace(cls)
    return ns["decode"] is not ns["decode_checked"]


FAST_CLASSES = [cls for cls in PDU_CLASSES if has_fast_path(cls)]


def framed(command_id: int, body: bytes, seq: int, status: int = 0) -> bytes:
    return (
        (HEADER_SIZE + len(body)).to_bytes(4, "big")
        + b"".join(n.to_bytes(4, "big") for n in (command_id, status, seq))
        + body
    )


def checked_decode(data: bytes) -> Pdu | PduDecodeError:
    """decode(data), asserting the contract: a PDU that re-encodes to itself, or a PduDecodeError
    naming the header's sequence number and command_id whenever there was a header. Any other
    exception escapes and fails the test."""
    try:
        pdu = codec.decode(data)
    except PduDecodeError as exc:
        if len(data) >= HEADER_SIZE:
            assert exc.sequence_number == int.from_bytes(data[12:16], "big")
            assert exc.command_id == int.from_bytes(data[4:8], "big")
        else:
            assert exc.sequence_number is None
            assert exc.fatal
        # ESME_RSYSERR is what decode() turns an unexpected exception, a codec bug, into.
        assert exc.status != CommandStatus.ESME_RSYSERR, exc.__cause__
        if exc.fatal:
            assert exc.status == CommandStatus.ESME_RINVCMDLEN
        return exc
    assert type(pdu) is PDU_BY_ID[int.from_bytes(data[4:8], "big")]
    assert pdu.sequence_number == int.from_bytes(data[12:16], "big")
    assert pdu.command_status == int.from_bytes(data[8:12], "big")
    # Whatever the decoder accepts, the encoder can write back, and that decodes to the same PDU.
    assert codec.decode(codec.encode(pdu)) == pdu
    return pdu


# --- coverage of the class table ----------------------------------------------------------------


def test_every_command_id_has_a_class_and_a_compiled_codec() -> None:
    assert {cls.command_id for cls in PDU_CLASSES} == set(CommandId)
    assert set(PDU_BY_ID) == set(CommandId)
    for cls in PDU_CLASSES:
        source = codec.generated_source(cls)
        assert "def decode_checked(" in source
        assert "def encode_checked(" in source
    # The fast path exists for the common PDUs; the checked path alone for the rest.
    assert {"SubmitSm", "DeliverSm", "SubmitSmResp", "BindTransceiver"} <= {
        cls.__name__ for cls in FAST_CLASSES
    }


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", PDU_CLASSES, ids=CLASS_IDS)
@property_settings(25)
@given(data=st.data())
def test_round_trip(cls: type[Pdu], data: st.DataObject) -> None:
    pdu = data.draw(pdus_of(cls), label="pdu")
    wire = codec.encode(pdu)
    assert codec.read_header(wire) == len(wire)
    decoded = codec.decode(wire)
    assert type(decoded) is cls
    assert decoded == pdu
    assert codec.encode(decoded) == wire
    ns = namespace(cls)
    assert ns["encode_checked"](pdu) == wire
    assert (
        ns["decode_checked"](wire, HEADER_SIZE, len(wire), pdu.sequence_number, pdu.command_status)
        == pdu
    )


@property_settings(150)
@given(pdus())
def test_round_trip_any_pdu(pdu: Pdu) -> None:
    wire = codec.encode(pdu)
    assert codec.decode(wire) == pdu
    assert codec.encode(codec.decode(wire)) == wire


# --- any input: PduDecodeError or a PDU, never anything else ------------------------------------


@property_settings(200)
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    checked_decode(data)


@property_settings(200)
@given(st.binary(min_size=HEADER_SIZE - 4, max_size=300))
def test_random_bytes_with_matching_length(rest: bytes) -> None:
    checked_decode((len(rest) + 4).to_bytes(4, "big") + rest)


def tlv_chunks() -> st.SearchStrategy[bytes]:
    """One TLV, often of a known tag, with a length that is usually (not always) honest."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        tag = draw(st.one_of(st.sampled_from(sorted(TLV_TYPES)), st.integers(0, 0xFFFF)))
        value = draw(st.binary(max_size=70))
        length = draw(st.one_of(st.just(len(value)), st.integers(0, 0xFFFF)))
        return tag.to_bytes(2, "big") + length.to_bytes(2, "big") + value

    return build()


def body_chunks() -> st.SearchStrategy[bytes]:
    """Bodies made of the pieces PDUs are made of, so that random input gets past the first
    fields: short C-strings (sometimes unterminated or over-long), single octets, TLVs."""
    cstr = st.tuples(st.binary(max_size=70).map(lambda b: b.replace(b"\0", b"x")), st.booleans())
    piece = st.one_of(
        cstr.map(lambda t: t[0] + b"\0" if t[1] else t[0]),
        U8.map(lambda n: bytes((n,))),
        st.sampled_from([b"\0", b"\1", b"\2", b"\x01\x01\x01"]),
        tlv_chunks(),
        st.binary(max_size=20),
    )
    return st.lists(piece, max_size=25).map(b"".join)


BODIES = st.one_of(st.binary(max_size=200), body_chunks())


@pytest.mark.parametrize(
    "command_id",
    [cls.command_id for cls in PDU_CLASSES] + UNKNOWN_IDS,
    ids=CLASS_IDS + [f"unknown_{n:08x}" for n in UNKNOWN_IDS],
)
@property_settings(20)
@given(data=st.data())
def test_valid_header_random_body(command_id: int, data: st.DataObject) -> None:
    body = data.draw(BODIES, label="body")
    seq = data.draw(U32, label="seq")
    result = checked_decode(framed(command_id, body, seq))
    if command_id not in PDU_BY_ID:
        assert isinstance(result, PduDecodeError)
        assert result.status == CommandStatus.ESME_RINVCMDID
        assert not result.fatal


@st.composite
def mutated(draw: st.DrawFn, reframe: bool) -> bytes:
    """A valid encoding after one to four random edits; with reframe, command_length is then set
    to the new size so that the body, not the framing, is what is wrong."""
    wire = bytearray(codec.encode(draw(pdus())))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert", "append", "delete", "length"]))
        at = draw(st.integers(0, len(wire)))
        if op == "flip" and at < len(wire):
            wire[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and at < len(wire):
            wire[at] = draw(st.sampled_from([0, 1, 2, 0x7F, 0xFF]))
        elif op == "cut":
            del wire[at:]
        elif op == "insert":
            wire[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "append":
            wire += draw(st.binary(min_size=1, max_size=40))
        elif op == "delete":
            del wire[at : at + draw(st.integers(1, 8))]
        elif op == "length" and len(wire) >= 4:
            wire[0:4] = draw(U32).to_bytes(4, "big")
    if reframe and len(wire) >= 4:
        wire[0:4] = len(wire).to_bytes(4, "big")
    return bytes(wire)


@property_settings(400)
@given(mutated(reframe=True))
def test_mutated_encodings(data: bytes) -> None:
    checked_decode(data)


@property_settings(75)
@given(mutated(reframe=False))
def test_mutated_encodings_with_broken_framing(data: bytes) -> None:
    result = checked_decode(data)
    if len(data) >= 4 and int.from_bytes(data[:4], "big") != len(data):
        assert isinstance(result, PduDecodeError)
        assert result.fatal
        assert result.status == CommandStatus.ESME_RINVCMDLEN


@property_settings(100)
@given(st.binary(max_size=40), st.integers(HEADER_SIZE, 0x20000))
def test_read_header_never_raises_anything_but_fatal_errors(data: bytes, max_size: int) -> None:
    try:
        length = codec.read_header(data, max_size)
    except PduDecodeError as exc:
        assert exc.fatal
        assert exc.status == CommandStatus.ESME_RINVCMDLEN
        declared = int.from_bytes(data[:4], "big")
        assert declared < HEADER_SIZE or declared > max_size
        return
    if len(data) < 4:
        assert length is None
    else:
        assert length == int.from_bytes(data[:4], "big")
        assert HEADER_SIZE <= length <= max_size


# --- the fast path agrees with the checked path ---------------------------------------------------


def outcome(call: Callable[[], Any]) -> object:
    """What a decoder or encoder did: its result, or the kind of error with its status."""
    try:
        return call()
    except PduDecodeError as exc:
        return ("PduDecodeError", exc.status)
    except Exception as exc:  # the checked encoder lets struct/Unicode errors out; encode() wraps
        return ("error", type(exc).__name__)


def both_decoders(cls: type[Pdu], wire: bytes) -> tuple[object, object]:
    ns = namespace(cls)
    args = (wire, HEADER_SIZE, len(wire), 1, 0)
    return outcome(lambda: ns["decode"](*args)), outcome(lambda: ns["decode_checked"](*args))


@contextmanager
def counting_fallbacks(cls: type[Pdu], monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count the fast decoder's calls of decode_checked (it looks the name up at call time)."""
    ns = namespace(cls)
    original = ns["decode_checked"]
    calls: list[int] = []

    def spy(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    with monkeypatch.context() as patch:
        patch.setitem(ns, "decode_checked", spy)
        yield calls


@pytest.mark.parametrize("cls", FAST_CLASSES, ids=lambda cls: cls.__name__)
@property_settings(20)
@given(data=st.data())
def test_fast_and_checked_decoders_agree(cls: type[Pdu], data: st.DataObject) -> None:
    body = data.draw(BODIES, label="body")
    fast, checked = both_decoders(cls, framed(cls.command_id, body, 1))
    assert fast == checked


def fallback_inputs(cls: type[Pdu]) -> Iterator[tuple[str, bytes]]:
    """Bodies the fast decoder's pattern cannot match: each needs the checked decoder."""
    fields = wire_fields(cls)
    wire = next(iter(fields.values()))
    ok = codec.encode(cls(1, 0, {}))[HEADER_SIZE:]  # all defaults: "" and 0 are one octet each
    if wire.kind == "cstr":
        yield "over-long first field", b"a" * wire.size + ok
        yield "unterminated first field", b"a" * (wire.size - 1)
    if len(ok) > 1:  # (a response's empty body is valid)
        yield "missing last octet", ok[:-1]
    if list(fields.values())[-1].kind == "sm":
        yield "sm_length past the end", ok[:-1] + b"\x05abcd"
    yield "TLV cut short", ok + b"\x02"


@pytest.mark.parametrize("cls", FAST_CLASSES, ids=lambda cls: cls.__name__)
def test_inputs_that_force_the_fallback(cls: type[Pdu], monkeypatch: pytest.MonkeyPatch) -> None:
    for what, body in fallback_inputs(cls):
        wire = framed(cls.command_id, body, 9)
        fast, checked = both_decoders(cls, wire)
        assert fast == checked, what
        assert isinstance(fast, tuple), what
        with counting_fallbacks(cls, monkeypatch) as calls, pytest.raises(PduDecodeError) as info:
            codec.decode(wire)
        if what != "TLV cut short":  # TLVs come after the fast match; decode_tlvs raises itself
            assert calls, f"{what}: the fast path did not fall back"
        assert info.value.sequence_number == 9


@pytest.mark.parametrize("cls", FAST_CLASSES, ids=lambda cls: cls.__name__)
def test_valid_input_takes_the_fast_path(cls: type[Pdu], monkeypatch: pytest.MonkeyPatch) -> None:
    wire = codec.encode(cls(3, 0, {0x1400: b"x"}))
    with counting_fallbacks(cls, monkeypatch) as calls:
        assert codec.decode(wire) == cls(3, 0, {0x1400: b"x"})
    assert calls == []


def bad_values(cls: type[Pdu]) -> st.SearchStrategy[dict[str, Any]]:
    """One mandatory field set to something the encoder must refuse."""
    options: list[st.SearchStrategy[dict[str, Any]]] = []
    for name, wire in wire_fields(cls).items():
        if wire.kind == "cstr":
            bad: st.SearchStrategy[Any] = st.one_of(
                st.text(min_size=wire.size, max_size=wire.size + 3),
                st.text(max_size=4).map(lambda t: t + "\0"),
                st.sampled_from(["€", "\u0100", "abc\u20ac"]),
            )
        elif wire.kind == "u8":
            bad = st.one_of(st.integers(max_value=-1), st.integers(min_value=256))
        elif wire.kind == "sm":
            bad = st.binary(min_size=256, max_size=260)
        else:
            continue
        options.append(st.fixed_dictionaries({name: bad}))
    return st.one_of(options)


BAD_VALUES = {cls: bad_values(cls) for cls in FAST_CLASSES}


@pytest.mark.parametrize("cls", FAST_CLASSES, ids=lambda cls: cls.__name__)
@property_settings(15)
@given(data=st.data())
def test_fast_and_checked_encoders_agree(cls: type[Pdu], data: st.DataObject) -> None:
    pdu = data.draw(pdus_of(cls), label="pdu")
    ns = namespace(cls)
    assert ns["encode"](pdu) == ns["encode_checked"](pdu)
    for name, value in data.draw(BAD_VALUES[cls], label="bad").items():
        setattr(pdu, name, value)
    with pytest.raises(PduEncodeError):
        codec.encode(pdu)
    assert isinstance(outcome(lambda: ns["encode_checked"](pdu)), tuple)
