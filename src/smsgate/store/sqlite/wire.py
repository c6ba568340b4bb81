"""What the SQLite store and its writer process send each other over their socket.

Frames are a 4-byte length and a `marshal` payload. Changes travel as tuples of their fields
(enums as their values, a message's parts nested): marshal takes only built-in types and is
several times faster than pickle on dataclasses (measured: 13.6 µs to pickle an accepted message
with its part, under 2 µs this way), and this cost is paid on the event loop. A frame whose
payload marshal refuses (an outbox payload holding something else than JSON types) goes as
pickle instead, marked by its first byte.
"""

import marshal
import pickle
import sqlite3
import struct
from collections.abc import Callable, Sequence
from dataclasses import fields
from enum import Enum
from typing import Any, Final, get_args, get_type_hints

from smsgate.domain.message import Message, Part
from smsgate.store import errors
from smsgate.store.changes import Change

LENGTH: Final = struct.Struct("<I")
_MARSHAL: Final = b"M"
_PICKLE: Final = b"P"

# frames from the store to its writer
WRITES: Final = "w"  # (WRITES, [group, ...]): each group is one caller's changes
JOB: Final = "j"  # (JOB, transaction, [(many, query, params), ...])
# and its answers: (READY, error) once, then in order (WRITES, fallback, [error, ...]) and
# (JOB, error, rows, rowcount), an error being None or (class name, text)
READY: Final = "ready"

Encoded = tuple[Any, ...]


def frame(payload: Any) -> bytes:
    try:
        body = _MARSHAL + marshal.dumps(payload)
    except ValueError:
        body = _PICKLE + pickle.dumps(payload, pickle.HIGHEST_PROTOCOL)
    return LENGTH.pack(len(body)) + body


def unframe(buffer: bytearray) -> list[Any]:
    """The whole frames at the head of `buffer`, removed from it."""
    out: list[Any] = []
    start = 0
    while len(buffer) - start >= LENGTH.size:
        (size,) = LENGTH.unpack_from(buffer, start)
        end = start + LENGTH.size + size
        if len(buffer) < end:
            break
        body = bytes(buffer[start + LENGTH.size : end])
        out.append(marshal.loads(body[1:]) if body[:1] == _MARSHAL else pickle.loads(body[1:]))
        start = end
    del buffer[:start]
    return out


class _Codec:
    """One dataclass as a tuple of its fields and back, by two functions generated from its
    fields: a tuple display of attribute reads (and a call with the tuple's items) is several
    times faster than attrgetter or a loop with per-field conversions."""

    def __init__(self, cls: type, tag: int) -> None:
        self.cls = cls
        self.tag = tag
        hints = get_type_hints(cls)
        out: list[str] = []
        back: list[str] = []
        namespace: dict[str, Any] = {
            "cls": cls,
            "_encode_message": _encode_message,
            "_decode_message": _decode_message,
            "_encode_parts": _encode_parts,
            "_decode_parts": _decode_parts,
        }
        for index, name in enumerate(f.name for f in fields(cls)):
            kind = hints[name]
            optional = _optional_enum(kind)
            if optional is not None:
                out.append(f"None if o.{name} is None else o.{name}._value_")
                namespace[f"members_{index}"] = optional._value2member_map_
                back.append(f"None if v[{index}] is None else members_{index}[v[{index}]]")
            elif isinstance(kind, type) and issubclass(kind, Enum):
                # _value_ is a plain attribute (Enum.value a property), and the member map a
                # dict (calling the enum class goes through its metaclass)
                out.append(f"o.{name}._value_")
                namespace[f"members_{index}"] = kind._value2member_map_
                back.append(f"members_{index}[v[{index}]]")
            elif kind is Message:
                out.append(f"_encode_message(o.{name})")
                back.append(f"_decode_message(v[{index}])")
            elif name == "parts":
                out.append(f"_encode_parts(o.{name})")
                back.append(f"_decode_parts(v[{index}])")
            else:
                out.append(f"o.{name}")
                back.append(f"v[{index}]")
        source = (
            f"def encode(o):\n    return ({tag}, {', '.join(out)})\n"
            f"def decode(v):\n    return cls({', '.join(back)})\n"
        )
        exec(source, namespace)  # the source is built from the dataclass's own field names
        self.encode: Callable[[Any], Encoded] = namespace["encode"]
        self.decode: Callable[[Encoded], Any] = namespace["decode"]


def _optional_enum(kind: Any) -> type[Enum] | None:
    """The enum of an `Enum | None` field, else None."""
    members = [k for k in get_args(kind) if k is not type(None)]
    if len(members) == 1 and isinstance(members[0], type) and issubclass(members[0], Enum):
        return members[0]
    return None


def _encode_message(message: Message) -> Encoded:
    return _MESSAGE.encode(message)[1:]


def _decode_message(values: Encoded) -> Message:
    message: Message = _MESSAGE.decode(values)
    return message


def _encode_parts(parts: list[Part]) -> list[Encoded]:
    return [_PART.encode(part)[1:] for part in parts]


def _decode_parts(rows: list[Encoded]) -> list[Part]:
    return [_PART.decode(row) for row in rows]


_PART: Final = _Codec(Part, -1)
# a change's tag is its place in the Change union: both ends run the same code
_CODECS: Final = [_Codec(cls, tag) for tag, cls in enumerate(get_args(Change))]
_BY_CLASS: Final = {codec.cls: codec for codec in _CODECS}
_MESSAGE: Final = _BY_CLASS[Message]


def _codec_of(change: Change) -> _Codec:
    """The codec of a subclass of a change type (the exact types are looked up directly)."""
    for codec in _CODECS:
        if isinstance(change, codec.cls):
            return codec
    raise TypeError(f"not a store change: {type(change).__name__}")


def encode_groups(groups: Sequence[Sequence[Change]]) -> list[list[Encoded]]:
    by_class = _BY_CLASS
    return [
        [(by_class.get(type(change)) or _codec_of(change)).encode(change) for change in group]
        for group in groups
    ]


def decode_group(group: Sequence[Encoded]) -> list[Change]:
    codecs = _CODECS
    return [codecs[values[0]].decode(values[1:]) for values in group]


# errors travel as (class name, text)

_STORE_ERRORS: Final = {
    cls.__name__: cls
    for cls in (
        errors.StoreError,
        errors.StoreClosedError,
        errors.StoreFullError,
        errors.IntegrityError,
        errors.DuplicateError,
        errors.IdenticalRequestError,
        errors.SegmentsGoneError,
        errors.BalanceError,
    )
}


def error_out(error: BaseException) -> tuple[str, str]:
    return (type(error).__name__, str(error))


def error_in(sent: Sequence[str]) -> BaseException:
    """The writer's error as the store's own class, or sqlite3's, else a StoreError naming it."""
    name, text = sent
    cls = _STORE_ERRORS.get(name) or getattr(sqlite3, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls(text)
    return errors.StoreError(f"{name}: {text}")
