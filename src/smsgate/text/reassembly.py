"""Reassembly of inbound concatenated messages, whether numbered by UDH or by SAR TLVs.

Parts are joined as body octets and only then decoded, so a surrogate pair or a GSM escape
that a sender split across two parts still decodes. GSM-7 parts must be passed unpacked
(unpack_septets with the part's fill bits first when the SMSC sent them packed). No clock is
read here: the caller passes `now` and calls expire() on its own schedule.
"""

from dataclasses import dataclass
from typing import Final

from smsgate.text.data_coding import interpret_data_coding
from smsgate.text.encoding import Encoding, decode_text
from smsgate.text.errors import TextError
from smsgate.text.gsm7 import ErrorMode

DEFAULT_TIMEOUT: Final = 300.0
DEFAULT_MAX_GROUPS: Final = 10_000


@dataclass(frozen=True, slots=True)
class GroupKey:
    source: str
    destination: str
    reference: int
    total: int


@dataclass(frozen=True, slots=True)
class ReassembledMessage:
    """A finished group: complete, or flushed with parts missing.

    segments: the body of each part by sequence number (index 0 is part 1), None if missing.
    data_coding: as given with the first part that arrived.
    """

    key: GroupKey
    data_coding: int
    segments: tuple[bytes | None, ...]
    first_seen: float

    @property
    def missing(self) -> tuple[int, ...]:
        """Sequence numbers (1-based) of the parts that never arrived."""
        return tuple(i for i, body in enumerate(self.segments, 1) if body is None)

    @property
    def complete(self) -> bool:
        return None not in self.segments

    @property
    def payload(self) -> bytes:
        """Bodies of the parts that arrived, joined in order."""
        return b"".join(body for body in self.segments if body is not None)

    def text(self, *, smsc_default: Encoding = Encoding.GSM7, errors: ErrorMode = "strict") -> str:
        """Decode the message per its data_coding. Each run of consecutive parts is decoded
        on its own, so with parts missing a pair cut by the gap is an error (strict) or
        U+FFFD (replace) instead of being glued to an unrelated neighbour."""
        encoding = interpret_data_coding(self.data_coding, smsc_default=smsc_default).encoding
        runs: list[bytes] = []
        current: list[bytes] = []
        for body in self.segments:
            if body is None:
                if current:
                    runs.append(b"".join(current))
                    current = []
            else:
                current.append(body)
        if current:
            runs.append(b"".join(current))
        return "".join(decode_text(run, encoding, errors) for run in runs)


@dataclass(slots=True)
class _Group:
    data_coding: int
    first_seen: float
    segments: list[bytes | None]
    received: int = 0


class Reassembler:
    """Collects parts until their group is complete.

    Groups are keyed by (source, destination, reference, total). Duplicate parts are ignored
    (the first copy wins), including a part redelivered within timeout after its group was
    completed: it matches what was delivered, whereas a new message that reuses the key
    carries different octets and starts a new group. At most max_groups groups are open:
    opening one more evicts the oldest, which is returned as a partial message rather than
    dropped.
    """

    def __init__(
        self, *, timeout: float = DEFAULT_TIMEOUT, max_groups: int = DEFAULT_MAX_GROUPS
    ) -> None:
        if max_groups < 1:
            raise ValueError(f"max_groups must be at least 1, got {max_groups}")
        self.timeout = timeout
        self.max_groups = max_groups
        # Insertion order is arrival order of each group's first part, which is what both
        # expiry and eviction walk.
        self._groups: dict[GroupKey, _Group] = {}
        # Completed groups, oldest first: completion time and a hash of each part's octets.
        self._completed: dict[GroupKey, tuple[float, tuple[int, ...]]] = {}

    def __len__(self) -> int:
        return len(self._groups)

    def add(
        self,
        *,
        source: str,
        destination: str,
        reference: int,
        total: int,
        seqnum: int,
        payload: bytes,
        now: float,
        data_coding: int = 0,
    ) -> list[ReassembledMessage]:
        """Add one part. Returns the messages this finishes: the group it completes, and
        the oldest group if one had to be evicted to make room (partial)."""
        if not 1 <= seqnum <= total:
            raise TextError(f"part number {seqnum} is outside 1..{total}")
        key = GroupKey(source, destination, reference, total)
        if total == 1:
            return [ReassembledMessage(key, data_coding, (payload,), now)]
        finished: list[ReassembledMessage] = []
        group = self._groups.get(key)
        if group is None:
            completed = self._completed.get(key)
            if completed is not None:
                if completed[1][seqnum - 1] == hash(payload):
                    return finished  # redelivery of a part of a message already completed
                del self._completed[key]  # a new message reusing the key
            if len(self._groups) >= self.max_groups:
                oldest = next(iter(self._groups))
                finished.append(self._finish(oldest, self._groups.pop(oldest)))
            group = _Group(data_coding, now, [None] * total)
            self._groups[key] = group
        if group.segments[seqnum - 1] is None:
            group.segments[seqnum - 1] = payload
            group.received += 1
            if group.received == total:
                del self._groups[key]
                finished.append(self._finish(key, group))
                self._remember(key, group, now)
        return finished

    def is_open(self, key: GroupKey) -> bool:
        """Whether some part of this group is held, waiting for the others."""
        return key in self._groups

    def holds(self, key: GroupKey, seqnum: int, payload: bytes) -> bool:
        """Whether add() would ignore this part as a duplicate: it is held in an open group,
        or it belongs to a message completed within timeout."""
        group = self._groups.get(key)
        if group is not None:
            return 1 <= seqnum <= len(group.segments) and group.segments[seqnum - 1] is not None
        completed = self._completed.get(key)
        return (
            completed is not None
            and 1 <= seqnum <= len(completed[1])
            and completed[1][seqnum - 1] == hash(payload)
        )

    def withdraw(self, key: GroupKey, seqnum: int) -> None:
        """Forget a part that add() took (its caller could not keep it): it may come again."""
        group = self._groups.get(key)
        if group is None or group.segments[seqnum - 1] is None:
            return
        group.segments[seqnum - 1] = None
        group.received -= 1
        if not group.received:
            del self._groups[key]

    def discard(self, key: GroupKey) -> None:
        """Forget an open group: its message was made elsewhere (another node, from the
        parts every node stored)."""
        self._groups.pop(key, None)

    def reopen(self, message: ReassembledMessage, without: int | None = None) -> None:
        """Hold again the parts of a message that add() or expire() handed back and its caller
        could not keep, except part `without`, which may come again."""
        self._completed.pop(message.key, None)
        segments = list(message.segments)
        if without is not None:
            segments[without - 1] = None
        received = sum(body is not None for body in segments)
        if received:
            group = _Group(message.data_coding, message.first_seen, segments, received)
            self._groups[message.key] = group

    def _remember(self, key: GroupKey, group: _Group, now: float) -> None:
        self._completed.pop(key, None)  # re-insert at the end: the dict stays in time order
        self._completed[key] = (now, tuple(hash(body) for body in group.segments))
        if len(self._completed) > self.max_groups:
            del self._completed[next(iter(self._completed))]

    def expire(self, now: float) -> list[ReassembledMessage]:
        """Flush, as partial messages, the groups whose first part is timeout or more old."""
        expired: list[ReassembledMessage] = []
        deadline = now - self.timeout
        while self._completed and next(iter(self._completed.values()))[0] <= deadline:
            del self._completed[next(iter(self._completed))]
        while self._groups:
            key, group = next(iter(self._groups.items()))
            if group.first_seen > deadline:
                break
            del self._groups[key]
            expired.append(self._finish(key, group))
        return expired

    def flush(self) -> list[ReassembledMessage]:
        """Hand back every open group as partial, e.g. at shutdown."""
        groups, self._groups = self._groups, {}
        return [self._finish(key, group) for key, group in groups.items()]

    @staticmethod
    def _finish(key: GroupKey, group: _Group) -> ReassembledMessage:
        return ReassembledMessage(key, group.data_coding, tuple(group.segments), group.first_seen)
