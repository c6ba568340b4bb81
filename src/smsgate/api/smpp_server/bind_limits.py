"""Failed binds per address and per login, with a lockout that grows: a password cannot be
guessed at the speed of scrypt.

After `login_failures` failed binds naming one system_id, or `address_failures` from one
address, binds for it are refused (ESME_RBINDFAIL, the password not checked) for `lockout`
seconds; each further failure after a lockout doubles it, up to `lockout_max`. A login's count
is cleared by a successful bind; any count is forgotten after `lockout_max` seconds without a
failure. Refusals during a lockout do not lengthen it, so a customer who fixes a wrong password
gets in once it ends, whatever an attacker keeps sending meanwhile.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

_MAX_KEYS: Final = 100_000  # logins and addresses tracked; the oldest are forgotten past it


@dataclass(frozen=True)
class BindLimits:
    login_failures: int = 5
    address_failures: int = 20
    lockout: float = 60.0
    lockout_max: float = 3600.0


@dataclass(slots=True)
class _Failures:
    count: int
    last: float  # when the last failure was
    locked_until: float = 0.0


class BindGuard:
    def __init__(self, limits: BindLimits, now: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.now = now
        self._failures: dict[tuple[str, str], _Failures] = {}

    def locked(self, address: str | None, login: str) -> str | None:
        """Why a bind from `address` for `login` is refused now without a password check, or
        None when it may be checked."""
        now = self.now()
        for key in (("address", address or ""), ("login", login)):
            entry = self._current(key, now)
            if entry is not None and entry.locked_until > now:
                return f"{key[0]} {key[1]!r} locked for {entry.locked_until - now:.0f} s more"
        return None

    def failed(self, address: str | None, login: str) -> None:
        now = self.now()
        limits = self.limits
        self._count(("address", address or ""), limits.address_failures, now)
        self._count(("login", login), limits.login_failures, now)

    def succeeded(self, login: str) -> None:
        self._failures.pop(("login", login), None)

    def _current(self, key: tuple[str, str], now: float) -> _Failures | None:
        entry = self._failures.get(key)
        if entry is not None and now - entry.last >= self.limits.lockout_max:
            del self._failures[key]  # quiet long enough: forgiven
            return None
        return entry

    def _count(self, key: tuple[str, str], limit: int, now: float) -> None:
        entry = self._current(key, now)
        if entry is None:
            if len(self._failures) >= _MAX_KEYS:
                # dicts keep insertion order: drop the oldest tenth
                for old in list(self._failures)[: _MAX_KEYS // 10]:
                    del self._failures[old]
            entry = self._failures[key] = _Failures(0, now)
        entry.count += 1
        entry.last = now
        if entry.count >= limit:
            lockout = self.limits.lockout * 2 ** min(entry.count - limit, 32)
            entry.locked_until = now + min(lockout, self.limits.lockout_max)
