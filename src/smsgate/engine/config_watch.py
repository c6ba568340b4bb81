"""Configuration changed elsewhere, picked up while the gateway runs.

Every change to accounts (and their API keys), routes, carrier prefixes, ported numbers,
prices and opt-outs bumps its kind's row in the store's `config_versions`, in the same
transaction, whoever made it: this node's API or console, another node, or the CLI writing the
database from another process. Every `interval` seconds the watch reads that small table (one
cheap query) and runs the reloads registered for the kinds whose version moved, so a change is
in effect on every node within about one interval, on SQLite as on PostgreSQL, without a
restart. A reload that fails leaves its kind's version unseen, so the next look tries again.
A change made through this node (`changed_here`) is reloaded here at once, not an interval later.
"""

import inspect
import logging
from collections.abc import Callable

from smsgate.engine.periodic import PeriodicJob
from smsgate.store import Store

log = logging.getLogger(__name__)

Reload = Callable[[], object]  # a function, or a coroutine function


class ConfigWatch(PeriodicJob):
    name = "smsgate-config-watch"

    def __init__(self, store: Store, interval: float) -> None:
        super().__init__(interval)
        self.store = store
        self.reloads: dict[str, int] = {}  # reloads run, per kind
        self._seen: dict[str, int] | None = None
        self._reloaders: dict[str, list[Reload]] = {}

    def on_change(self, kind: str, reload: Reload) -> None:
        """Run `reload` (a function, or a coroutine function) when `kind` changed elsewhere; a
        reload registered for several kinds that changed together runs once."""
        self._reloaders.setdefault(kind, []).append(reload)

    async def changed_here(self, kind: str) -> None:
        """This node has just changed `kind`: run its reloads now (a revoked API key refused at
        once here); other nodes and processes see the version move at their next look."""
        for reload in self._reloaders.get(kind, ()):
            await _run(reload, kind)

    async def prime(self) -> None:
        """Take the versions as they are now: what was loaded at start is their state."""
        self._seen = await self.store.config_versions()

    async def run_once(self) -> int:
        try:
            versions = await self.store.config_versions()
        except Exception as error:  # the store is away or closing: the next look tries again
            log.warning("configuration versions not read: %s", error)
            return 0
        seen = self._seen
        if seen is None:
            self._seen = versions
            return 0
        changed = [kind for kind, version in versions.items() if seen.get(kind) != version]
        if not changed:
            return 0
        done: dict[Reload, bool] = {}
        for kind in changed:
            ok = True
            for reload in self._reloaders.get(kind, ()):
                if reload not in done:
                    done[reload] = await _run(reload, kind)
                ok = ok and done[reload]
            if ok:
                seen[kind] = versions[kind]
                self.reloads[kind] = self.reloads.get(kind, 0) + 1
        log.info("configuration changed: %s reloaded", ", ".join(sorted(changed)))
        return len(changed)


async def _run(reload: Reload, kind: str) -> bool:
    try:
        result = reload()
        if inspect.isawaitable(result):
            await result
    except Exception:  # the store is away for a moment: the next look tries again
        log.exception("%s changed but could not be reloaded", kind)
        return False
    return True
