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
from operator import attrgetter
from typing import Any, Final, get_type_hints

from smsgate.domain.message import Message, Part
from smsgate.store import errors
from smsgate.store.changes import (
    BalanceChange,
    Change,
    IdempotentResponse,
    InboundClaim,
    InboundMessage,
    InboundSegment,
    MessageReplaced,
    MessageUpdate,
    OptOut,
    OutboxItem,
    OutboxUpdate,
    PartUpdate,
    SegmentsTaken,
)

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
    """One dataclass as a tuple of its fields and back."""

    def __init__(self, cls: type, tag: int) -> None:
        self.cls = cls
        self.tag = tag
        names = [f.name for f in fields(cls)]
        self.get = attrgetter(*names)
        hints = get_type_hints(cls)
        self.out: list[tuple[int, Callable[[Any], Any]]] = []
        self.back: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(names):
            kind = hints[name]
            if isinstance(kind, type) and issubclass(kind, Enum):
                self.out.append((index, attrgetter("value")))
                self.back.append((index, kind))
            elif kind is Message:
                self.out.append((index, _encode_message))
                self.back.append((index, _decode_message))
            elif name == "parts":
                self.out.append((index, _encode_parts))
                self.back.append((index, _decode_parts))

    def encode(self, obj: Any) -> Encoded:
        values = self.get(obj)
        if not self.out:
            return (self.tag, *values)
        converted = list(values)
        for index, convert in self.out:
            converted[index] = convert(converted[index])
        return (self.tag, *converted)

    def decode(self, values: Encoded) -> Any:
        if not self.back:
            return self.cls(*values)
        converted = list(values)
        for index, convert in self.back:
            converted[index] = convert(converted[index])
        return self.cls(*converted)


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
_MESSAGE: Final = _Codec(Message, 0)
_CODECS: Final = [
    _MESSAGE,
    *(
        _Codec(cls, tag)
        for tag, cls in enumerate(
            (
                PartUpdate,
                MessageUpdate,
                MessageReplaced,
                InboundMessage,
                OutboxItem,
                OutboxUpdate,
                InboundSegment,
                SegmentsTaken,
                InboundClaim,
                OptOut,
                BalanceChange,
                IdempotentResponse,
            ),
            start=1,
        )
    ),
]
_BY_CLASS: Final = {codec.cls: codec for codec in _CODECS}


def encode_groups(groups: Sequence[Sequence[Change]]) -> list[list[Encoded]]:
    by_class = _BY_CLASS
    return [[by_class[type(change)].encode(change) for change in group] for group in groups]


def decode_group(group: Sequence[Encoded]) -> list[Change]:
    codecs = _CODECS
    return [codecs[values[0]].decode(values[1:]) for values in group]


# errors travel as (class name, text)

_STORE_ERRORS: Final = {
    cls.__name__: cls
    for cls in (
        errors.StoreError,
        errors.StoreClosedError,
        errors.IntegrityError,
        errors.DuplicateError,
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
