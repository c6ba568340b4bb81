"""Hypothesis strategies for SMPP PDUs, derived from each PDU class's `Wire` field metadata.

`pdus()` draws any PDU of `pdu.PDU_CLASSES`; `pdus_of(cls)` one class, with optional overrides for
single fields, the TLVs and the header so that other suites (interop, session) can narrow them.
Every value drawn here is encodable, and `decode(encode(p)) == p` holds for all of them.

A response whose body is empty decodes to its default fields, but no drawn PDU has an empty body
unless its class has no fields: a response with all-default fields still encodes their NULs and
zero octets (`BindResp()` is one NUL, `QuerySmResp()` four octets), so nothing needs excluding.
"""

import os
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from smsgate.smpp import codec
from smsgate.smpp.constants import MAX_SEQUENCE, CommandStatus
from smsgate.smpp.pdu import (
    PDU_CLASSES,
    DistributionList,
    Pdu,
    SmeAddress,
    UnsuccessSme,
    Wire,
)
from smsgate.smpp.tlv import TLV_TYPES, TlvType, TlvValue

# Vendor-specific TLV tags per SMPP 3.4 section 5.3.2, and tags no spec assigns.
VENDOR_TAGS = st.integers(0x1400, 0x3FFF)
UNASSIGNED_TAGS = st.integers(0, 0xFFFF).filter(lambda tag: tag not in TLV_TYPES)
KNOWN_TAGS: tuple[int, ...] = tuple(sorted(TLV_TYPES))

SEQUENCE_NUMBERS = st.integers(1, MAX_SEQUENCE)
COMMAND_STATUSES = st.one_of(
    st.sampled_from([int(s) for s in CommandStatus]), st.integers(0, 0xFFFFFFFF)
)
U8 = st.integers(0, 0xFF)
U32 = st.integers(0, 0xFFFFFFFF)


def cstrings(size: int) -> SearchStrategy[str]:
    """Text for a C-octet string field of `size` octets including the NUL: latin-1, no NUL."""
    return st.text(st.characters(min_codepoint=1, max_codepoint=0xFF), max_size=size - 1)


def sme_addresses(
    ton: SearchStrategy[int] = U8, npi: SearchStrategy[int] = U8
) -> SearchStrategy[SmeAddress]:
    return st.builds(SmeAddress, cstrings(21), ton, npi)


def distribution_lists() -> SearchStrategy[DistributionList]:
    return st.builds(DistributionList, cstrings(21))


def destination_lists(max_size: int = 6) -> SearchStrategy[list[Any]]:
    return st.lists(st.one_of(sme_addresses(), distribution_lists()), max_size=max_size)


def unsuccess_lists(max_size: int = 6) -> SearchStrategy[list[UnsuccessSme]]:
    sme = st.builds(UnsuccessSme, cstrings(21), U8, U8, U32)
    return st.lists(sme, max_size=max_size)


def wire_values(wire: Wire) -> SearchStrategy[Any]:
    """Any value a mandatory field of this wire form can carry."""
    if wire.kind == "cstr":
        return cstrings(wire.size)
    if wire.kind == "u8":
        return U8
    if wire.kind == "sm":
        return st.binary(max_size=wire.size)
    if wire.kind == "dests":
        return destination_lists()
    if wire.kind == "unsuccess":
        return unsuccess_lists()
    raise AssertionError(f"no strategy for wire kind {wire.kind!r}")


def wire_fields(cls: type[Pdu]) -> dict[str, Wire]:
    """The mandatory body fields of a PDU class, in wire order."""
    return {f.name: f.metadata["wire"] for f in fields(cls) if "wire" in f.metadata}


def typed_tlv_values(spec: TlvType, max_octets: int = 300) -> SearchStrategy[int | str | bytes]:
    """A value of a known tag's declared type, as the decoder returns it."""
    if spec.kind == "int":
        assert spec.size is not None
        return st.integers(0, (1 << (8 * spec.size)) - 1)
    if spec.kind == "cstr":
        assert spec.size is not None
        return cstrings(spec.size)
    if spec.size is not None:
        return st.binary(min_size=spec.size, max_size=spec.size)
    return st.binary(max_size=max_octets)


def raw_tlv_values(spec: TlvType | None, max_octets: int = 40) -> SearchStrategy[bytes]:
    """Value octets that the decoder accepts for a tag (any octets for an unknown tag)."""
    if spec is None or (spec.kind == "octets" and spec.size is None):
        return st.binary(max_size=max_octets)
    if spec.kind == "cstr":
        assert spec.size is not None
        return cstrings(spec.size).map(lambda text: text.encode("latin-1") + b"\0")
    assert spec.size is not None
    return st.binary(min_size=spec.size, max_size=spec.size)


@st.composite
def _repeated_tlv(draw: st.DrawFn, tags: SearchStrategy[int]) -> tuple[int, list[bytes]]:
    """A tag that occurs two or more times: decoded as the list of its raw values, in order."""
    tag = draw(tags)
    values = draw(st.lists(raw_tlv_values(TLV_TYPES.get(tag)), min_size=2, max_size=4))
    return tag, values


def known_tlvs() -> SearchStrategy[tuple[int, TlvValue]]:
    return st.sampled_from(KNOWN_TAGS).flatmap(
        lambda tag: st.tuples(st.just(tag), typed_tlv_values(TLV_TYPES[tag]))
    )


def unknown_tlvs() -> SearchStrategy[tuple[int, TlvValue]]:
    return st.tuples(st.one_of(VENDOR_TAGS, UNASSIGNED_TAGS), st.binary(max_size=40))


def tlv_dicts(
    max_size: int = 5,
    *,
    known: bool = True,
    unknown: bool = True,
    repeated: bool = True,
) -> SearchStrategy[dict[int, TlvValue]]:
    """TLVs keyed by tag: known tags with typed values, vendor/unassigned tags with raw octets and,
    now and then, a repeated tag as a list of raw values."""
    kinds: list[SearchStrategy[tuple[int, TlvValue]]] = []
    if known:
        kinds.append(known_tlvs())
    if unknown:
        kinds.append(unknown_tlvs())
    if repeated:
        tags = st.one_of(st.sampled_from(KNOWN_TAGS), VENDOR_TAGS)
        kinds.append(_repeated_tlv(tags))
    if not kinds:
        return st.just({})
    pairs = st.lists(st.one_of(kinds), max_size=max_size, unique_by=lambda pair: pair[0])
    return pairs.map(dict)


_DEFAULT_PDUS: dict[type[Pdu], SearchStrategy[Pdu]] = {}


def pdus_of(
    cls: type[Pdu],
    *,
    field_values: Mapping[str, SearchStrategy[Any]] | None = None,
    tlvs: SearchStrategy[dict[int, TlvValue]] | None = None,
    sequence_numbers: SearchStrategy[int] = SEQUENCE_NUMBERS,
    command_statuses: SearchStrategy[int] = COMMAND_STATUSES,
) -> SearchStrategy[Pdu]:
    """PDUs of one class; `field_values` replaces the strategy of single mandatory fields.

    Building a strategy costs far more than drawing from one, so the default one per class is
    built once; draw from the returned object rather than calling this inside a test.
    """
    default = (
        field_values is None
        and tlvs is None
        and sequence_numbers is SEQUENCE_NUMBERS
        and command_statuses is COMMAND_STATUSES
    )
    if default and cls in _DEFAULT_PDUS:
        return _DEFAULT_PDUS[cls]
    overrides = dict(field_values or {})
    unknown = set(overrides) - set(wire_fields(cls))
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {sorted(unknown)}")
    body = {name: overrides.get(name, wire_values(wire)) for name, wire in wire_fields(cls).items()}
    strategy = st.builds(
        cls,
        sequence_number=sequence_numbers,
        command_status=command_statuses,
        tlvs=tlv_dicts() if tlvs is None else tlvs,
        **body,
    )
    if default:
        _DEFAULT_PDUS[cls] = strategy
    return strategy


_ANY_PDUS: dict[tuple[type[Pdu], ...], SearchStrategy[Pdu]] = {}


def pdus(classes: Sequence[type[Pdu]] = PDU_CLASSES) -> SearchStrategy[Pdu]:
    """Any PDU of the given classes (all of them by default)."""
    key = tuple(classes)
    if key not in _ANY_PDUS:
        _ANY_PDUS[key] = st.one_of([pdus_of(cls) for cls in key])
    return _ANY_PDUS[key]


def pdu_bytes(classes: Sequence[type[Pdu]] = PDU_CLASSES) -> SearchStrategy[bytes]:
    """The encodings of `pdus(classes)`."""
    return pdus(classes).map(codec.encode)


def property_settings(max_examples: int) -> settings:
    """Settings for a codec property: `max_examples` scaled by SMSGATE_HYPOTHESIS_SCALE (default 1;
    raise it for a deep run), no deadline (slow CI machines), generation may be slow-ish."""
    scale = float(os.environ.get("SMSGATE_HYPOTHESIS_SCALE", "1"))
    return settings(
        max_examples=max(1, round(max_examples * scale)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
