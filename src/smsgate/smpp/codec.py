"""Encode and decode SMPP PDUs.

Each PDU class's field declarations are compiled once, at import, into one straight-line encoder
and one decoder (fixed-size runs of integers become a single struct call). A generic interpreter
over the field list costs several times more per PDU, and the codec sits on every message's path.
Decoding raises only PduDecodeError, whatever the input.
"""

import re
import struct
from collections.abc import Callable
from dataclasses import fields
from struct import pack, unpack_from
from typing import Any, Final

from smsgate.smpp.constants import HEADER_SIZE, CommandStatus, DestFlag
from smsgate.smpp.errors import PduDecodeError, PduEncodeError
from smsgate.smpp.pdu import (
    PDU_BY_ID,
    PDU_CLASSES,
    DistributionList,
    Pdu,
    Response,
    SmeAddress,
    UnsuccessSme,
    Wire,
)
from smsgate.smpp.tlv import decode_tlvs, encode_tlvs

# message_payload may carry 64 KiB, so a PDU may be a little larger than that; nothing legitimate
# is larger, and a bigger command_length means a broken or hostile stream.
DEFAULT_MAX_PDU_SIZE: Final = 0x10000 + 1024

Decoder = Callable[[bytes, int, int, int, int], Pdu]
Encoder = Callable[[Pdu], bytes]

_HEADER = struct.Struct(">IIII")
# Subscripting a dict is cheaper than calling chr()/ord() on CPython, and a KeyError for values
# outside 0..255 is what the encoder needs (a tuple would wrap negative indexes silently).
_CHR: Final = {i: chr(i) for i in range(256)}
_ORD: Final = {chr(i): i for i in range(256)}


class _Fail:
    """Raisers used by generated code, kept out of line so the hot path stays short."""

    @staticmethod
    def field(name: str, size: int, status: int, buf: bytes, pos: int, end: int) -> PduDecodeError:
        if buf.find(0, pos, end) < 0:
            return PduDecodeError(
                f"{name}: no terminating NUL before the end of the PDU",
                CommandStatus.ESME_RINVCMDLEN,
            )
        return PduDecodeError(f"{name}: longer than {size - 1} characters", status)

    @staticmethod
    def truncated(name: str) -> PduDecodeError:
        return PduDecodeError(f"PDU body ends before {name}", CommandStatus.ESME_RINVCMDLEN)

    @staticmethod
    def sm_length(length: int, available: int) -> PduDecodeError:
        return PduDecodeError(
            f"sm_length {length} but only {available} octets follow",
            CommandStatus.ESME_RINVMSGLEN,
        )

    @staticmethod
    def too_long(name: str, size: int) -> PduEncodeError:
        return PduEncodeError(f"{name}: longer than {size - 1} octets")

    @staticmethod
    def nul(name: str) -> PduEncodeError:
        return PduEncodeError(f"{name}: a C-string cannot contain NUL")


def _read_address(buf: bytes, pos: int, end: int, name: str, status: int) -> tuple[str, int]:
    """A submit_multi address C-string (at most 20 characters) and the position after it."""
    nul = buf.find(0, pos, min(end, pos + 21))
    if nul < 0:
        raise _Fail.field(name, 21, status, buf, pos, end)
    return buf[pos:nul].decode("latin-1"), nul + 1


def _address_octets(value: str, name: str) -> bytes:
    """A submit_multi address as a C-string, refused when too long or holding a NUL."""
    data = value.encode("latin-1")
    if len(data) > 20:
        raise _Fail.too_long(name, 21)
    if 0 in data:
        raise _Fail.nul(name)
    return data + b"\0"


def _decode_dests(buf: bytes, pos: int, end: int) -> tuple[list[Any], int]:
    if pos >= end:
        raise _Fail.truncated("number_of_dests")
    count = buf[pos]
    pos += 1
    dests: list[Any] = []
    for _ in range(count):
        if pos >= end:
            raise _Fail.truncated("dest_address")
        flag = buf[pos]
        if flag == DestFlag.SME_ADDRESS:
            if pos + 3 > end:
                raise _Fail.truncated("dest_address")
            ton, npi = buf[pos + 1], buf[pos + 2]
            address, pos = _read_address(
                buf, pos + 3, end, "destination_addr", CommandStatus.ESME_RINVDSTADR
            )
            dests.append(SmeAddress(address, ton, npi))
        elif flag == DestFlag.DISTRIBUTION_LIST:
            name, pos = _read_address(buf, pos + 1, end, "dl_name", CommandStatus.ESME_RINVDLNAME)
            dests.append(DistributionList(name))
        else:
            raise PduDecodeError(f"dest_flag {flag}", CommandStatus.ESME_RINVDESTFLAG)
    return dests, pos


def _encode_dests(dests: list[Any]) -> bytes:
    if len(dests) > 255:
        raise PduEncodeError(f"submit_multi takes at most 255 destinations, not {len(dests)}")
    out = [bytes((len(dests),))]
    for dest in dests:
        if isinstance(dest, SmeAddress):
            address = _address_octets(dest.address, "destination_addr")
            out.append(bytes((DestFlag.SME_ADDRESS, dest.ton, dest.npi)) + address)
        elif isinstance(dest, DistributionList):
            name = _address_octets(dest.name, "dl_name")
            out.append(bytes((DestFlag.DISTRIBUTION_LIST,)) + name)
        else:
            raise PduEncodeError(f"not a submit_multi destination: {dest!r}")
    return b"".join(out)


def _decode_unsuccess(buf: bytes, pos: int, end: int) -> tuple[list[Any], int]:
    if pos >= end:
        # A failed submit_multi_resp may stop after message_id.
        return [], pos
    count = buf[pos]
    pos += 1
    smes: list[Any] = []
    for _ in range(count):
        if pos + 2 > end:
            raise _Fail.truncated("unsuccess_sme")
        ton, npi = buf[pos], buf[pos + 1]
        address, pos = _read_address(
            buf, pos + 2, end, "destination_addr", CommandStatus.ESME_RINVDSTADR
        )
        if pos + 4 > end:
            raise _Fail.truncated("error_status_code")
        (error,) = unpack_from(">I", buf, pos)
        smes.append(UnsuccessSme(address, ton, npi, error))
        pos += 4
    return smes, pos


def _encode_unsuccess(smes: list[Any]) -> bytes:
    if len(smes) > 255:
        raise PduEncodeError(f"at most 255 unsuccess_sme entries, not {len(smes)}")
    out = [bytes((len(smes),))]
    for sme in smes:
        address = _address_octets(sme.address, "destination_addr")
        out.append(bytes((sme.ton, sme.npi)) + address + pack(">I", sme.error_status))
    return b"".join(out)


def _layout(cls: type[Pdu]) -> list[tuple[str, Wire]]:
    return [(f.name, f.metadata["wire"]) for f in fields(cls) if "wire" in f.metadata]


def _compile_checked_decoder(cls: type[Pdu]) -> str:
    """Field by field, with a precise error for the first bad field."""
    lines = ["def decode_checked(buf, pos, end, seq, status):"]
    names: list[str] = []
    ints: list[str] = []
    optional_body = issubclass(cls, Response)

    def flush_ints() -> None:
        if ints:
            fmt = ">" + "B" * len(ints)
            lines.append(f"    if pos + {len(ints)} > end: raise fail.truncated({ints[0]!r})")
            lines.append(f"    {', '.join(ints)}, = unpack_from({fmt!r}, buf, pos)")
            lines.append(f"    pos += {len(ints)}")
            ints.clear()

    layout = _layout(cls)
    if optional_body and layout:
        # Responses to failed requests often come without a body; keep the defaults then.
        lines.append("    if pos == end: return cls(seq, status, {})")
    for name, wire in layout:
        names.append(name)
        if wire.kind == "u8":
            ints.append(name)
            continue
        flush_ints()
        if wire.kind == "cstr":
            lines += [
                f"    n = buf.find(0, pos, min(end, pos + {wire.size}))",
                "    if n < 0:",
                f"        raise fail.field({name!r}, {wire.size}, {wire.status}, buf, pos, end)",
                f"    {name} = buf[pos:n].decode('latin-1')",
                "    pos = n + 1",
            ]
        elif wire.kind == "sm":
            lines += [
                "    if pos >= end: raise fail.truncated('sm_length')",
                "    n = buf[pos] + pos + 1",
                "    if n > end: raise fail.sm_length(buf[pos], end - pos - 1)",
                f"    {name} = buf[pos + 1:n]",
                "    pos = n",
            ]
        elif wire.kind == "dests":
            lines.append(f"    {name}, pos = decode_dests(buf, pos, end)")
        elif wire.kind == "unsuccess":
            lines.append(f"    {name}, pos = decode_unsuccess(buf, pos, end)")
        else:
            raise AssertionError(wire.kind)
    flush_ints()
    lines.append("    tlvs = decode_tlvs(buf, pos, end) if pos < end else {}")
    lines.append(f"    return cls(seq, status, tlvs{''.join(', ' + n for n in names)})")
    return "\n".join(lines)


def _compile_checked_encoder(cls: type[Pdu]) -> str:
    """Field by field, with a precise error for the first bad field."""
    lines = ["def encode_checked(p):"]
    parts: list[str] = []
    ints: list[str] = []

    def flush_ints() -> None:
        if ints:
            args = ", ".join(f"p.{n}" for n in ints)
            parts.append(f"pack({'>' + 'B' * len(ints)!r}, {args})")
            ints.clear()

    for name, wire in _layout(cls):
        if wire.kind == "u8":
            ints.append(name)
            continue
        flush_ints()
        if wire.kind == "cstr":
            lines += [
                f"    {name} = p.{name}.encode('latin-1')",
                f"    if len({name}) >= {wire.size}: raise fail.too_long({name!r}, {wire.size})",
                f"    if 0 in {name}: raise fail.nul({name!r})",
            ]
            parts += [name, "NUL"]
        elif wire.kind == "sm":
            lines += [
                f"    {name} = p.{name}",
                f"    if len({name}) > 255: raise fail.too_long({name!r}, 256)",
            ]
            parts += [f"bytes((len({name}),))", name]
        elif wire.kind == "dests":
            parts.append(f"encode_dests(p.{name})")
        elif wire.kind == "unsuccess":
            parts.append(f"encode_unsuccess(p.{name})")
    flush_ints()
    parts.append("encode_tlvs(p.tlvs) if p.tlvs else b''")
    lines.append(f"    body = b''.join(({', '.join(parts)},))")
    lines.append(
        "    return header.pack(16 + len(body), cls.command_id, p.command_status,"
        " p.sequence_number) + body"
    )
    return "\n".join(lines)


def _fast_layout(cls: type[Pdu]) -> list[tuple[str, Wire]] | None:
    """The layout if it suits the fast path: C-strings and octets, maybe short_message last."""
    layout = _layout(cls)
    kinds = [wire.kind for _, wire in layout]
    if (
        not layout
        or any(k not in ("cstr", "u8") for k in kinds[:-1])
        or kinds[-1]
        not in (
            "cstr",
            "u8",
            "sm",
        )
    ):
        return None
    return layout


def _compile_fast_decoder(cls: type[Pdu], layout: list[tuple[str, Wire]]) -> str:
    """One regex match over the latin-1 view of the body reads every fixed field at once; any
    mismatch (over-long or unterminated field, short body) falls back to the checked decoder,
    which says precisely what is wrong."""
    pattern = "".join(
        f"([^\\0]{{0,{w.size - 1}}})\\0" if w.kind == "cstr" else "(.)" for _, w in layout
    )
    groups = [name if w.kind != "u8" else f"{name}_" for name, w in layout]
    args = [f"ORD[{name}_]" if w.kind == "u8" else name for name, w in layout]
    lines = [
        f"rx = re.compile({pattern!r}, re.S).match",
        "def decode(buf, pos, end, seq, status):",
    ]
    if issubclass(cls, Response):
        lines.append("    if pos == end: return cls(seq, status, {})")
    lines += [
        "    m = rx(buf.decode('latin-1'), pos, end)",
        "    if m is None: return decode_checked(buf, pos, end, seq, status)",
        f"    {', '.join(groups)}, = m.groups()",
        "    pos = m.end()",
    ]
    if layout[-1][1].kind == "sm":
        name = layout[-1][0]
        lines += [
            f"    n = pos + ORD[{name}]",
            "    if n > end: return decode_checked(buf, 16, end, seq, status)",
            f"    {name} = buf[pos:n]",
            "    pos = n",
        ]
    lines.append("    tlvs = decode_tlvs(buf, pos, end) if pos < end else {}")
    lines.append(f"    return cls(seq, status, tlvs, {', '.join(args)})")
    return "\n".join(lines)


def _compile_fast_encoder(cls: type[Pdu], layout: list[tuple[str, Wire]]) -> str:
    """The fixed fields become one str (latin-1 maps code points 0-255 to octets one to one) and
    one encode; anything unusual (too long, NUL inside, out of range) goes to the checked
    encoder for a precise error."""
    lines = ["def encode(p):"]
    checks: list[str] = []
    text = ""
    sm = None
    for name, wire in layout:
        if wire.kind == "cstr":
            lines.append(f"    {name} = p.{name}")
            checks += [f"len({name}) >= {wire.size}", f"NULS in {name}"]
            text += f"{{{name}}}\0"
        elif wire.kind == "u8":
            text += f"{{CHR[p.{name}]}}"
        else:
            sm = name
            lines.append(f"    {name} = p.{name}")
            checks.append(f"len({name}) > 255")
            text += f"{{CHR[len({name})]}}"
    lines += [
        f"    if {' or '.join(checks)}: return encode_checked(p)",
        "    try:",
        f"        body = f{text!r}.encode('latin-1')" if text else "        body = b''",
        "    except (UnicodeEncodeError, KeyError): return encode_checked(p)",
    ]
    if sm:
        lines.append(f"    body += {sm}")
    lines += [
        "    if p.tlvs: body += encode_tlvs(p.tlvs)",
        "    return header.pack(16 + len(body), cls.command_id, p.command_status,"
        " p.sequence_number) + body",
    ]
    return "\n".join(lines).replace("{NULS}", "NULS")


def _exec(cls: type[Pdu], source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {
        "re": re,
        "NULS": "\0",
        "ORD": _ORD,
        "CHR": _CHR,
        "cls": cls,
        "fail": _Fail,
        "unpack_from": unpack_from,
        "pack": pack,
        "header": _HEADER,
        "NUL": b"\0",
        "decode_tlvs": decode_tlvs,
        "encode_tlvs": encode_tlvs,
        "decode_dests": _decode_dests,
        "encode_dests": _encode_dests,
        "decode_unsuccess": _decode_unsuccess,
        "encode_unsuccess": _encode_unsuccess,
    }
    exec(compile(source, f"<smpp codec {cls.__name__}>", "exec"), namespace)
    return namespace


def _compile(cls: type[Pdu]) -> tuple[str, Decoder, Encoder]:
    parts = [_compile_checked_decoder(cls), _compile_checked_encoder(cls)]
    layout = _fast_layout(cls)
    if layout is None:
        parts += ["decode = decode_checked", "encode = encode_checked"]
    else:
        parts += [_compile_fast_decoder(cls, layout), _compile_fast_encoder(cls, layout)]
    source = "\n\n".join(parts)
    namespace = _exec(cls, source)
    return source, namespace["decode"], namespace["encode"]


_DECODERS: dict[int, Decoder] = {}
_ENCODERS: dict[type[Pdu], Encoder] = {}
_SOURCES: dict[type[Pdu], str] = {}
for _cls in PDU_CLASSES:
    _SOURCES[_cls], _DECODERS[_cls.command_id], _ENCODERS[_cls] = _compile(_cls)


def generated_source(cls: type[Pdu]) -> str:
    """The compiled decoder and encoder of a PDU class, for reading and debugging."""
    return _SOURCES[cls]


def encode(pdu: Pdu) -> bytes:
    """The wire form of one PDU, header included."""
    try:
        return _ENCODERS[type(pdu)](pdu)
    except PduEncodeError:
        raise
    except (struct.error, UnicodeEncodeError, AttributeError, TypeError, ValueError) as exc:
        raise PduEncodeError(f"{pdu.name}: {exc}") from None


def read_header(data: bytes | bytearray, max_size: int = DEFAULT_MAX_PDU_SIZE) -> int | None:
    """command_length of the PDU at the start of data, or None until 4 octets are there.

    Raises a fatal PduDecodeError when the length cannot be right: the stream cannot be re-framed.
    """
    if len(data) < 4:
        return None
    length = int.from_bytes(data[:4], "big")
    if length < HEADER_SIZE or length > max_size:
        seq = int.from_bytes(data[12:16], "big") if len(data) >= 16 else None
        cid = int.from_bytes(data[4:8], "big") if len(data) >= 8 else None
        raise PduDecodeError(
            f"command_length {length} outside {HEADER_SIZE}..{max_size}",
            CommandStatus.ESME_RINVCMDLEN,
            sequence_number=seq,
            command_id=cid,
            fatal=True,
        )
    return length


def decode(data: bytes) -> Pdu:
    """Decode exactly one PDU. Raises PduDecodeError (and nothing else) for any bad input."""
    size = len(data)
    if size < HEADER_SIZE:
        raise PduDecodeError(
            f"{size} octets, shorter than a PDU header", CommandStatus.ESME_RINVCMDLEN, fatal=True
        )
    length, command_id, status, seq = _HEADER.unpack_from(data)
    if length != size:
        raise PduDecodeError(
            f"command_length {length} but {size} octets given",
            CommandStatus.ESME_RINVCMDLEN,
            sequence_number=seq,
            command_id=command_id,
            fatal=True,
        )
    decoder = _DECODERS.get(command_id)
    if decoder is None:
        raise PduDecodeError(
            f"unknown command_id 0x{command_id:08X}",
            CommandStatus.ESME_RINVCMDID,
            sequence_number=seq,
            command_id=command_id,
        )
    try:
        return decoder(data, HEADER_SIZE, size, seq, status)
    except PduDecodeError as exc:
        exc.sequence_number = seq
        exc.command_id = command_id
        raise
    except Exception as exc:  # a codec bug must still reach the peer as an answer, not a crash
        raise PduDecodeError(
            f"{PDU_BY_ID[command_id].__name__}: {exc!r}",
            CommandStatus.ESME_RSYSERR,
            sequence_number=seq,
            command_id=command_id,
        ) from exc
