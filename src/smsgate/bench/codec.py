"""`smsgate bench codec`: SMPP encode+decode round trips per second, beside smpp.pdu3.

The workload is one typical submit_sm: international source and destination, a 140-octet body,
registered_delivery=1 and two TLVs (user_message_reference, source_port). Both implementations
run in this process on one thread, in alternating rounds (`--rounds`), each for `--seconds` of
round trips (decode(encode(pdu))) in all plus a third of that each for encode alone and decode
alone; the best round of each figure is reported, the one least disturbed by other load.

Absolute rates depend on the machine, so the comparable figure is the ratio to smpp.pdu3 measured
in the same run: the PERFORMANCE-NOTES target of 300,000 round trips/s was set on a machine where
smpp.pdu3 ran 13,900/s, which makes a ratio of about 21.6 the equivalent target anywhere.
"""

import argparse
import importlib
import io
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from smsgate.smpp import codec
from smsgate.smpp.pdu import SubmitSm
from smsgate.smpp.tlv import Tag

TARGET_ROUND_TRIPS_PER_S = 300_000
TARGET_REFERENCE_ROUND_TRIPS_PER_S = 13_900
TARGET_RATIO = TARGET_ROUND_TRIPS_PER_S / TARGET_REFERENCE_ROUND_TRIPS_PER_S
TARGET_NOTE = (
    "PERFORMANCE-NOTES sets 300,000 round trips/s, measured where smpp.pdu3 ran 13,900/s; "
    f"the machine-independent equivalent is a ratio to smpp.pdu3 of {TARGET_RATIO:.1f} or more"
)
REFERENCE_NAME = "smpp.pdu3"


def typical_submit_sm() -> SubmitSm:
    return SubmitSm(
        sequence_number=1,
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="447700900001",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        registered_delivery=1,
        short_message=bytes(i % 95 + 32 for i in range(140)),
        tlvs={Tag.USER_MESSAGE_REFERENCE: 42, Tag.SOURCE_PORT: 9200},
    )


@dataclass(frozen=True)
class Rates:
    round_trips_per_s: float
    encode_per_s: float
    decode_per_s: float


Workload = tuple[Callable[[], bytes], Callable[[bytes], object]]


def per_second(operation: Callable[[], object], seconds: float) -> float:
    """Calls of operation per second over about `seconds` (at least one batch)."""
    batch = 1
    while True:  # a batch long enough that reading the clock costs nothing
        start = time.perf_counter()
        for _ in range(batch):
            operation()
        if time.perf_counter() - start >= 0.005 or batch >= 1 << 20:
            break
        batch *= 2
    calls = 0
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            operation()
        calls += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed


def measure_once(workload: Workload, seconds: float) -> Rates:
    encode, decode = workload
    data = encode()
    return Rates(
        round_trips_per_s=per_second(lambda: decode(encode()), seconds),
        encode_per_s=per_second(encode, seconds / 3),
        decode_per_s=per_second(lambda: decode(data), seconds / 3),
    )


def best(rounds: list[Rates]) -> Rates:
    """The best figure of each kind: the round least disturbed by the rest of the machine."""
    return Rates(
        round_trips_per_s=max(r.round_trips_per_s for r in rounds),
        encode_per_s=max(r.encode_per_s for r in rounds),
        decode_per_s=max(r.decode_per_s for r in rounds),
    )


def our_workload() -> tuple[Workload, int]:
    pdu = typical_submit_sm()
    encode, decode = codec.encode, codec.decode
    data = encode(pdu)
    if decode(data) != pdu:
        raise AssertionError("the workload PDU does not survive a round trip")
    return (lambda: encode(pdu), decode), len(data)


def reference_workload() -> Workload:
    """smpp.pdu3's encoder and decoder for the same submit_sm (raises ImportError without it)."""
    encoding: Any = importlib.import_module("smpp.pdu.pdu_encoding")
    encoder = encoding.PDUEncoder()
    # pdu3 decodes our bytes into its own model: the same PDU, field for field.
    ours = codec.encode(typical_submit_sm())
    pdu = encoder.decode(io.BytesIO(ours))
    if encoder.encode(pdu) != ours:
        raise AssertionError("smpp.pdu3 encodes the workload differently")

    def encode() -> bytes:
        result: bytes = encoder.encode(pdu)
        return result

    def decode(data: bytes) -> object:
        return encoder.decode(io.BytesIO(data))

    return encode, decode


def measure(seconds: float, rounds: int) -> tuple[Rates, Rates | None, str | None, int]:
    """Ours and the reference in alternating rounds, so that a change in the machine's load
    during the run touches both alike; each side gets `seconds` of round trips in all."""
    ours, octets = our_workload()
    try:
        reference: Workload | None = reference_workload()
        missing = None
    except ImportError as exc:
        reference, missing = None, f"{REFERENCE_NAME} is not importable: {exc}"
    our_rounds: list[Rates] = []
    reference_rounds: list[Rates] = []
    for _ in range(rounds):
        our_rounds.append(measure_once(ours, seconds / rounds))
        if reference is not None:
            reference_rounds.append(measure_once(reference, seconds / rounds))
    return best(our_rounds), best(reference_rounds) if reference_rounds else None, missing, octets


def reference_version() -> str | None:
    try:
        return metadata.version(REFERENCE_NAME)
    except metadata.PackageNotFoundError:
        return None


def run(seconds: float, rounds: int = 5) -> dict[str, Any]:
    ours, reference, missing, octets = measure(seconds, rounds)
    ratio = ours.round_trips_per_s / reference.round_trips_per_s if reference else None
    return {
        "benchmark": "codec",
        "workload": f"submit_sm, {octets} octets: 140-octet body, registered_delivery=1, "
        "international addresses, user_message_reference and source_port TLVs",
        "round_trips_per_s": round(ours.round_trips_per_s, 1),
        "encode_per_s": round(ours.encode_per_s, 1),
        "decode_per_s": round(ours.decode_per_s, 1),
        "reference": {
            "name": REFERENCE_NAME,
            "version": reference_version(),
            "available": reference is not None,
            "reason": missing,
            "round_trips_per_s": round(reference.round_trips_per_s, 1) if reference else None,
            "encode_per_s": round(reference.encode_per_s, 1) if reference else None,
            "decode_per_s": round(reference.decode_per_s, 1) if reference else None,
        },
        "ratio": round(ratio, 2) if ratio is not None else None,
        "target": {
            "note": TARGET_NOTE,
            "round_trips_per_s": TARGET_ROUND_TRIPS_PER_S,
            "reference_round_trips_per_s": TARGET_REFERENCE_ROUND_TRIPS_PER_S,
            "ratio": round(TARGET_RATIO, 2),
            "met": ratio >= TARGET_RATIO if ratio is not None else None,
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "seconds": seconds,
        "rounds": rounds,
        "threads": 1,
    }


def table(result: dict[str, Any]) -> str:
    ref = result["reference"]
    target = result["target"]

    def rate(value: float | None) -> str:
        return f"{value:>12,.0f}" if value is not None else f"{'-':>12}"

    lines = [
        f"smsgate bench codec: {result['workload']}",
        f"python {result['python']['version']} ({result['python']['executable']}), one thread, "
        f"{result['seconds']:g} s of round trips per implementation in {result['rounds']} "
        "alternating rounds, best round shown",
        "",
        f"{'':<12} {'round trips/s':>14} {'encode/s':>12} {'decode/s':>12}",
        f"{'smsgate':<12} {rate(result['round_trips_per_s']):>14} "
        f"{rate(result['encode_per_s'])} {rate(result['decode_per_s'])}",
        f"{REFERENCE_NAME:<12} {rate(ref['round_trips_per_s']):>14} "
        f"{rate(ref['encode_per_s'])} {rate(ref['decode_per_s'])}",
        "",
    ]
    if result["ratio"] is None:
        lines.append(f"ratio: not measured ({ref['reason']})")
    else:
        verdict = "met" if target["met"] else "NOT met"
        lines.append(
            f"ratio smsgate/{REFERENCE_NAME}: {result['ratio']:.1f} "
            f"(target {target['ratio']:.1f}: {verdict})"
        )
    lines.append(f"note: {target['note']}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="smsgate bench codec",
        description="SMPP submit_sm encode+decode round trips per second, beside smpp.pdu3",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="alternating rounds of ours and the reference; the best round of each counts",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="seconds of round trips per implementation (encode and decode alone: a third each)",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    result = run(args.seconds, args.rounds)
    print(json.dumps(result) if args.json else table(result))
    return 0
