"""`smsgate bench fuzz`: a bounded, deterministic fuzz run of the SMPP PDU decoder.

Inputs, drawn from one seeded generator (same seed, same inputs):

- header-random: a well-framed header for every command id in turn (and a few unknown ids) with
  a random body;
- header-structured: the same with a body built of the pieces PDUs are built of (C-strings, some
  unterminated or over-long, single octets, TLVs with honest or lying lengths), which gets
  further into the decoders than noise;
- mutation: a valid encoding from a corpus of random PDUs of every type after one to four edits
  (bit flips, octet overwrites, truncation, insertion, deletion, command_length corruption), most
  of them re-framed so that the body, not the framing, is wrong;
- random: a few short inputs of pure noise.

Each input goes through `codec.read_header` and `codec.decode`. Expected outcomes: a PDU, which
must re-encode and decode to itself, or a PduDecodeError carrying the header's sequence number.
Anything else counts as unexpected: another exception, ESME_RSYSERR (which decode() answers when
a decoder raised something it should not have), a wrong sequence number, a PDU that does not
survive re-encoding. The exit status is 1 when there was any.
"""

import argparse
import json
import random
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from smsgate.smpp import codec
from smsgate.smpp.constants import HEADER_SIZE, CommandStatus, status_name
from smsgate.smpp.errors import PduDecodeError
from smsgate.smpp.pdu import (
    PDU_CLASSES,
    Destination,
    DistributionList,
    Pdu,
    SmeAddress,
    UnsuccessSme,
    Wire,
)
from smsgate.smpp.tlv import TLV_TYPES, TlvValue

DEFAULT_COUNT = 1_000_000
EXAMPLES_KEPT = 5
CORPUS_PER_CLASS = 8
UNKNOWN_COMMAND_IDS = (0x00000000, 0x0000000A, 0x00000104, 0x80000010, 0xFFFFFFFF)
COMMAND_IDS = tuple(cls.command_id for cls in PDU_CLASSES) + UNKNOWN_COMMAND_IDS
KNOWN_TAGS = tuple(sorted(TLV_TYPES))
TEXT = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ +:-"
TEXT_POOL = bytes(range(1, 256)) + TEXT * 4  # no NUL
CSTRING_LENGTHS = (0, 1, 4, 12, 16, 20, 21, 64, 70)
INTERESTING_OCTETS = (0x00, 0x01, 0x02, 0x03, 0x7F, 0x80, 0xFF)
SOURCES = ("header-random", "header-structured", "mutation", "random")
SOURCE_WEIGHTS = (25, 25, 45, 5)


# --- valid PDUs of every type, from the field declarations ------------------------------------


def _text(rng: random.Random, max_len: int) -> str:
    length = max_len if rng.random() < 0.1 else rng.randint(0, max_len)
    data = bytes(
        rng.choice(TEXT) if rng.random() < 0.9 else rng.randint(1, 255) for _ in range(length)
    )
    return data.decode("latin-1")


def _tlv_value(rng: random.Random, tag: int) -> TlvValue:
    spec = TLV_TYPES[tag]
    if spec.kind == "int":
        assert spec.size is not None
        return rng.getrandbits(8 * spec.size)
    if spec.kind == "cstr":
        assert spec.size is not None
        return _text(rng, min(spec.size - 1, 40))
    if spec.size is not None:
        return rng.randbytes(spec.size)
    return rng.randbytes(rng.randint(0, 60))


def _tlvs(rng: random.Random) -> dict[int, TlvValue]:
    tlvs: dict[int, TlvValue] = {}
    for _ in range(rng.choice((0, 0, 1, 2, 3, 4))):
        kind = rng.random()
        if kind < 0.7:
            tag = rng.choice(KNOWN_TAGS)
            tlvs[tag] = _tlv_value(rng, tag)
        elif kind < 0.9:
            tlvs[rng.randint(0x1400, 0x3FFF)] = rng.randbytes(rng.randint(0, 20))
        else:  # a repeated vendor tag: a list of raw values
            tlvs[rng.randint(0x1400, 0x3FFF)] = [rng.randbytes(rng.randint(0, 5)) for _ in "ab"]
    return tlvs


def _value(rng: random.Random, wire: Wire) -> Any:
    if wire.kind == "cstr":
        return _text(rng, wire.size - 1)
    if wire.kind == "u8":
        return rng.choice(INTERESTING_OCTETS) if rng.random() < 0.3 else rng.randint(0, 255)
    if wire.kind == "sm":
        return rng.randbytes(rng.randint(0, 255 if rng.random() < 0.1 else 160))
    if wire.kind == "dests":
        dests: list[Destination] = []
        for _ in range(rng.randint(0, 5)):
            if rng.random() < 0.7:
                dests.append(SmeAddress(_text(rng, 20), rng.randint(0, 6), rng.randint(0, 18)))
            else:
                dests.append(DistributionList(_text(rng, 20)))
        return dests
    if wire.kind == "unsuccess":
        return [
            UnsuccessSme(_text(rng, 20), rng.randint(0, 6), 1, rng.getrandbits(32))
            for _ in range(rng.randint(0, 4))
        ]
    raise AssertionError(wire.kind)


def random_pdu(rng: random.Random, cls: type[Pdu]) -> Pdu:
    body = {f.name: _value(rng, f.metadata["wire"]) for f in fields(cls) if "wire" in f.metadata}
    status = 0 if rng.random() < 0.7 else rng.choice(list(CommandStatus))
    return cls(rng.randint(1, 0x7FFFFFFF), status, _tlvs(rng), **body)


def build_corpus(rng: random.Random) -> list[bytes]:
    return [
        codec.encode(random_pdu(rng, cls)) for cls in PDU_CLASSES for _ in range(CORPUS_PER_CLASS)
    ]


# --- inputs ------------------------------------------------------------------------------------


def _header(length: int, command_id: int, status: int, seq: int) -> bytes:
    return b"".join(n.to_bytes(4, "big") for n in (length, command_id, status, seq))


def _framed(rng: random.Random, command_id: int, body: bytes) -> bytes:
    status = 0 if rng.random() < 0.8 else rng.getrandbits(32)
    return _header(HEADER_SIZE + len(body), command_id, status, rng.getrandbits(32)) + body


def _structured_body(rng: random.Random) -> bytes:
    out = bytearray()
    for _ in range(rng.randint(0, 25)):
        kind = rng.random()
        if kind < 0.35:  # a C-string, sometimes unterminated, sometimes over-long
            length = rng.choice(CSTRING_LENGTHS)
            at = rng.randrange(len(TEXT_POOL) - length)
            out += TEXT_POOL[at : at + length]
            if rng.random() < 0.9:
                out.append(0)
        elif kind < 0.65:
            out.append(rng.choice(INTERESTING_OCTETS) if rng.random() < 0.5 else rng.getrandbits(8))
        elif kind < 0.9:  # a TLV; its length is usually honest
            tag = rng.choice(KNOWN_TAGS) if rng.random() < 0.7 else rng.getrandbits(16)
            value = rng.randbytes(rng.choice((0, 1, 2, 3, 4, 6, rng.randint(0, 80))))
            length = len(value) if rng.random() < 0.8 else rng.getrandbits(16)
            out += tag.to_bytes(2, "big") + length.to_bytes(2, "big") + value
        else:
            out += rng.randbytes(rng.randint(0, 20))
    return bytes(out)


def _mutate(rng: random.Random, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        at = rng.randint(0, len(data))
        if op == 0 and at < len(data):
            data[at] ^= 1 << rng.randrange(8)
        elif op == 1 and at < len(data):
            data[at] = rng.choice(INTERESTING_OCTETS)
        elif op == 2:
            del data[at:]
        elif op == 3:
            data[at:at] = rng.randbytes(rng.randint(1, 8))
        elif op == 4:
            del data[at : at + rng.randint(1, 8)]
        elif op == 5:
            data += rng.randbytes(rng.randint(1, 40))
        elif op == 6 and len(data) >= 4:
            length = int.from_bytes(data[:4], "big")
            new = rng.choice((0, 15, 16, length - 1, length + 1, rng.getrandbits(32)))
            data[:4] = (new % (1 << 32)).to_bytes(4, "big")
    if rng.random() < 0.75 and len(data) >= 4:
        data[:4] = len(data).to_bytes(4, "big")
    return bytes(data)


class Inputs:
    """The deterministic input stream of one seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.corpus = build_corpus(self.rng)
        self.turn = 0

    def next(self) -> tuple[str, bytes]:
        rng = self.rng
        source = rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
        if source == "mutation":
            return source, _mutate(rng, rng.choice(self.corpus))
        if source == "random":
            return source, rng.randbytes(rng.randint(0, 40))
        command_id = COMMAND_IDS[self.turn % len(COMMAND_IDS)]
        self.turn += 1
        if source == "header-random":
            return source, _framed(rng, command_id, rng.randbytes(rng.randint(0, 300)))
        return source, _framed(rng, command_id, _structured_body(rng))


# --- running -----------------------------------------------------------------------------------


@dataclass
class Tally:
    inputs: int = 0
    decoded: int = 0
    fatal: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    header: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, str]] = field(default_factory=list)

    def fail(self, kind: str, source: str, data: bytes, detail: str) -> None:
        self.unexpected[kind] += 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(
                {"kind": kind, "source": source, "input_hex": data.hex(), "detail": detail}
            )


def check_header(tally: Tally, source: str, data: bytes) -> None:
    try:
        length = codec.read_header(data)
    except PduDecodeError as exc:
        tally.header["fatal"] += 1
        if not exc.fatal:
            tally.fail("read_header: non-fatal error", source, data, str(exc))
    except Exception:
        tally.fail("read_header: unexpected exception", source, data, traceback.format_exc())
    else:
        tally.header["incomplete" if length is None else "length"] += 1


def check_decode(tally: Tally, source: str, data: bytes) -> None:
    try:
        pdu = codec.decode(data)
    except PduDecodeError as exc:
        tally.errors[status_name(exc.status)] += 1
        tally.fatal += exc.fatal
        if exc.status == CommandStatus.ESME_RSYSERR:  # decode() caught a decoder's own exception
            detail = "".join(traceback.format_exception(exc.__cause__ or exc))
            tally.fail("decode: internal exception (ESME_RSYSERR)", source, data, detail)
        expected_seq = int.from_bytes(data[12:16], "big") if len(data) >= HEADER_SIZE else None
        if exc.sequence_number != expected_seq:
            detail = f"{exc}: sequence_number {exc.sequence_number}, header {expected_seq}"
            tally.fail("decode: wrong sequence_number in error", source, data, detail)
    except Exception:
        tally.fail("decode: unexpected exception", source, data, traceback.format_exc())
    else:
        tally.decoded += 1
        try:
            again = codec.decode(codec.encode(pdu))
        except Exception:
            tally.fail("re-encode: exception", source, data, traceback.format_exc())
        else:
            if again != pdu:
                tally.fail("re-encode: different PDU", source, data, f"{pdu!r} != {again!r}")


def run(count: int, seed: int) -> tuple[Tally, float]:
    inputs = Inputs(seed)
    tally = Tally()
    start = time.perf_counter()
    for _ in range(count):
        source, data = inputs.next()
        tally.inputs += 1
        tally.by_source[source] += 1
        check_header(tally, source, data)
        check_decode(tally, source, data)
    return tally, time.perf_counter() - start


def report(tally: Tally, seconds: float, seed: int) -> dict[str, Any]:
    return {
        "benchmark": "fuzz",
        "seed": seed,
        "inputs": tally.inputs,
        "seconds": round(seconds, 3),
        "inputs_per_s": round(tally.inputs / seconds, 1) if seconds > 0 else None,
        "decoded": tally.decoded,
        "decode_errors": sum(tally.errors.values()),
        "fatal_errors": tally.fatal,
        "errors_by_status": dict(tally.errors.most_common()),
        "read_header": dict(tally.header.most_common()),
        "inputs_by_source": {name: tally.by_source[name] for name in SOURCES},
        "unexpected": sum(tally.unexpected.values()),
        "unexpected_by_kind": dict(tally.unexpected.most_common()),
        "unexpected_examples": tally.examples,
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        f"smsgate bench fuzz: {result['inputs']:,} inputs, seed {result['seed']}, "
        f"{result['seconds']:.1f} s ({result['inputs_per_s']:,.0f} inputs/s)",
        "inputs by source: "
        + ", ".join(f"{k} {v:,}" for k, v in result["inputs_by_source"].items()),
        f"decoded: {result['decoded']:,}; PduDecodeError: {result['decode_errors']:,} "
        f"({result['fatal_errors']:,} fatal)",
        "read_header: " + ", ".join(f"{k} {v:,}" for k, v in result["read_header"].items()),
        "",
        f"{'command_status':<26} {'count':>10}",
    ]
    lines += [f"{name:<26} {n:>10,}" for name, n in result["errors_by_status"].items()]
    lines += ["", f"unexpected: {result['unexpected']}"]
    lines += [f"  {kind}: {n}" for kind, n in result["unexpected_by_kind"].items()]
    for example in result["unexpected_examples"]:
        lines += [
            "",
            f"--- {example['kind']} ({example['source']} input)",
            f"input: {example['input_hex']}",
            example["detail"].rstrip(),
        ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="smsgate bench fuzz",
        description="feed the PDU decoder random and mutated input; count unexpected exceptions",
    )
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="inputs to try")
    parser.add_argument("--seed", type=int, default=0, help="seed of the input generator")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    tally, seconds = run(args.count, args.seed)
    result = report(tally, seconds, args.seed)
    print(json.dumps(result) if args.json else table(result))
    return 1 if result["unexpected"] else 0
