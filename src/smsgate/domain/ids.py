"""Time-ordered identifiers (UUIDv7 layout, RFC 9562).

Random (uuid4) primary keys scatter inserts over the whole index and slow SQLite down badly as a
table grows; ids that grow with time keep inserts at the right edge of the B-tree on both
SQLite and PostgreSQL.
"""

import os
import random
import threading
import time

_lock = threading.Lock()
# The random bits make ids hard to guess, not secret: a generator seeded from the OS once per
# process costs a fraction of an os.urandom system call per id. Re-seeded after fork.
_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))
_last_ms = 0
_counter = 0


def new_id() -> str:
    """A new UUIDv7 as a 32-character lower-case hex string; strictly increasing per process."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            # same millisecond (or the clock stepped back): keep order with the counter
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:
                ms += 1
                _counter = 0
        else:
            _counter = 0
        _last_ms = ms
        counter = _counter
    rand = _random.getrandbits(62)
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand
    return f"{value:032x}"


def id_time(identifier: str) -> float:
    """The creation time (Unix seconds) encoded in an id from new_id."""
    return (int(identifier[:12], 16)) / 1000.0


def id_floor(at: float) -> str:
    """The least id new_id makes at `at` (Unix seconds): ids made before `at` sort below it."""
    return f"{int(at * 1000) & 0xFFFF_FFFF_FFFF:012x}" + "0" * 20
