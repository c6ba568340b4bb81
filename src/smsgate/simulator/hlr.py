"""A simulated HLR lookup provider: the JSON HTTP API of `smsgate.connectors.hlr.http_provider`
on a real HTTP server.

    GET /hlr?msisdn=<E.164 digits>      Authorization: Bearer <token>

Japanese mobile numbers are answered from the network their range was allocated to (the
seeded prefix table, `smsgate.domain.carriers`): MCC 440 and that carrier's MNC
(`smsgate.domain.mobile_networks`), an IMSI and an MSC address drawn from the number. A number
under a `ported_prefixes` entry has moved to that entry's carrier, and is answered with the
recipient network's MNC and `ported: true`; one under a `roaming_prefixes` entry is in that
entry's foreign network (its MSC there, `roaming_country` and `roaming_network` set). Numbers
under `absent_prefixes`, and an `absent_share` of the others (drawn once per number from
`seed`), are absent: known, but with no MSC. Numbers of no mobile range, or under
`unknown_prefixes`, are unknown.

Every answer takes `delay` seconds. A `failure_share` of the lookups (drawn in order from
`seed`) is answered 503; above `rate` lookups per second, 429 with Retry-After; a wrong token,
401; a malformed msisdn, 400; `outage_status`, when set, answers every lookup with it.
`answers(number)` lists what was answered about a number, oldest first (bounded);
`peak_in_progress` the most lookups it was answering at once.
"""

import asyncio
import contextlib
import hashlib
import random
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Final

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.domain.carriers import CarrierTable
from smsgate.domain.mobile_networks import MobileNetwork, carrier_network, network
from smsgate.domain.token_bucket import TokenBucket
from smsgate.simulator.serving import SimulatorServer

_MAX_DIGITS: Final = 15
_MSIN_DIGITS: Final = 10  # an IMSI is MCC + MNC + MSIN, 15 digits with a 2-digit MNC
_MSC_DIGITS: Final = 12  # an MSC's E.164 address, calling code included


class _RefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class HlrSimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8096  # 0: a free port chosen by the kernel
    token: str = "demo-hlr"  # the bearer token lookups must carry; "" takes any
    seed: int = 0
    absent_share: float = 0.05  # subscribers outside the prefixes below that are absent
    absent_prefixes: tuple[str, ...] = ()
    unknown_prefixes: tuple[str, ...] = ()
    # (number prefix, carrier id it was ported to), e.g. ("8190123", "rakuten")
    ported_prefixes: tuple[tuple[str, str], ...] = ()
    # (number prefix, MCC, MNC of the foreign network it roams in), e.g. ("8180999", "310", "260")
    roaming_prefixes: tuple[tuple[str, str, str], ...] = ()
    delay: float = 0.0  # seconds before each answer
    failure_share: float = 0.0  # lookups answered 503
    rate: float | None = None  # lookups per second; above it 429
    numbers: int = 10_000  # numbers whose answers are kept
    answers_per_number: int = 100

    def __post_init__(self) -> None:
        if not all(0.0 <= share <= 1.0 for share in (self.absent_share, self.failure_share)):
            raise ValueError("shares must be between 0 and 1")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive")
        if min(self.numbers, self.answers_per_number) < 1:
            raise ValueError("numbers and answers_per_number must be at least 1")
        prefixes = [*self.absent_prefixes, *self.unknown_prefixes]
        prefixes += [prefix for prefix, *_ in (*self.ported_prefixes, *self.roaming_prefixes)]
        if not all(p.isascii() and p.isdigit() and len(p) <= _MAX_DIGITS for p in prefixes):
            raise ValueError("prefixes must be E.164 digits (without '+')")
        for _, carrier in self.ported_prefixes:
            if carrier_network(carrier) is None:
                raise ValueError(f"no network is known for carrier {carrier!r}")
        for _, mcc, mnc in self.roaming_prefixes:
            if network(mcc, mnc) is None:
                raise ValueError(f"no network is known as {mcc}-{mnc}")


class HlrSimulator:
    def __init__(self, config: HlrSimulatorConfig | None = None) -> None:
        self.config = config = config or HlrSimulatorConfig()
        self.rng = random.Random(config.seed)  # failures, in the order lookups come
        self.carriers = CarrierTable.seeded()
        self.outage_status: int | None = None  # answer every lookup with it, when set
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "lookups",
                "found",
                "absent",
                "unknown",
                "ported",
                "roaming",
                "malformed",
                "unauthorized",
                "rate_limited",
                "failures",
                "outage",
            ),
            0,
        )
        self.in_progress = 0  # lookups being answered now
        self.peak_in_progress = 0  # the most answered at once
        self._answers: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        self._bucket: TokenBucket | None = None
        self._closing = asyncio.Event()
        self._server = SimulatorServer("the HLR simulator")
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> int:
        """Listen; returns the port."""
        self._closing.clear()
        app = Starlette(routes=[Route("/hlr", self._lookup, methods=["GET"])])
        self.port = await self._server.start(app, self.config.host, self.config.port)
        return self.port

    async def stop(self) -> None:
        self._closing.set()
        await self._server.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    # -- what tests and demos look at ----------------------------------------------------------

    def answers(self, number: str) -> list[dict[str, Any]]:
        """What was answered about `number` (E.164 digits), oldest first."""
        return list(self._answers.get(number, ()))

    def subscriber(self, number: str) -> dict[str, Any]:
        """What the HLR holds about `number` (E.164 digits): the answer's body."""
        config = self.config
        allocated = self.carriers.allocated_carrier(number)
        carrier = _longest(number, config.ported_prefixes) or allocated
        home = carrier_network(carrier) if carrier is not None else None
        if home is None or number.startswith(config.unknown_prefixes or ("\0",)):
            return _body("unknown")
        imsi = home.mcc + home.mnc + _digits(config.seed, "imsi", number, _MSIN_DIGITS)
        ported = carrier != allocated
        if number.startswith(config.absent_prefixes or ("\0",)) or (
            _draw(config.seed, "absent", number) < config.absent_share
        ):
            return _body("absent", home, imsi=imsi, ported=ported)
        visited = _roaming(number, config.roaming_prefixes)
        serving = visited or home
        msc = serving.calling_code + _digits(
            config.seed, "msc", number, _MSC_DIGITS - len(serving.calling_code)
        )
        return _body("ok", home, imsi=imsi, msc=msc, ported=ported, visited=visited)

    # -- the API -------------------------------------------------------------------------------

    async def _lookup(self, request: Request) -> Response:
        self.in_progress += 1
        self.peak_in_progress = max(self.peak_in_progress, self.in_progress)
        try:
            if self.config.delay:
                # cut short by stop(), which would otherwise wait for every delayed answer
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), self.config.delay)
            return self._answer(request)
        finally:
            self.in_progress -= 1

    def _answer(self, request: Request) -> Response:
        try:
            self._admit(request)
            number = request.query_params.get("msisdn", "")
            if not (number.isascii() and number.isdigit() and len(number) <= _MAX_DIGITS):
                self.counters["malformed"] += 1
                raise _RefusedError(400, "msisdn must be 1 to 15 E.164 digits")
            self._pace()
            if self.rng.random() < self.config.failure_share:
                self.counters["failures"] += 1
                raise _RefusedError(503, "the HLR did not answer")
        except _RefusedError as refused:
            headers = None
            if refused.status == 429:
                headers = {"Retry-After": f"{1.0 / (self.config.rate or 1.0):.3f}"}
            return _json({"error": str(refused)}, refused.status, headers)
        body = self.subscriber(number)
        self.counters["lookups"] += 1
        self.counters[{"ok": "found"}.get(body["status"], body["status"])] += 1
        self.counters["ported"] += body["ported"]
        self.counters["roaming"] += bool(body["roaming_network"])
        self._remember(number, body)
        return _json(body, 200)

    def _admit(self, request: Request) -> None:
        if self.outage_status is not None:
            self.counters["outage"] += 1
            raise _RefusedError(self.outage_status, "the HLR service is unavailable")
        token = self.config.token
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if token and (scheme.lower() != "bearer" or given.strip() != token):
            self.counters["unauthorized"] += 1
            raise _RefusedError(401, "a valid bearer token is required")

    def _pace(self) -> None:
        rate = self.config.rate
        if rate is None:
            return
        now = asyncio.get_running_loop().time()
        if self._bucket is None:
            self._bucket = TokenBucket(rate, now)
        if not self._bucket.take(now):
            self.counters["rate_limited"] += 1
            raise _RefusedError(429, f"over {rate} lookups per second")

    def _remember(self, number: str, body: dict[str, Any]) -> None:
        kept = self._answers.get(number)
        if kept is None:
            kept = self._answers[number] = deque(maxlen=self.config.answers_per_number)
            while len(self._answers) > self.config.numbers:
                self._answers.popitem(last=False)
        else:
            self._answers.move_to_end(number)
        kept.append(body)


def _body(
    status: str,
    home: MobileNetwork | None = None,
    *,
    imsi: str = "",
    msc: str = "",
    ported: bool = False,
    visited: MobileNetwork | None = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "imsi": imsi or None,
        "msc": msc or None,
        "mcc": home.mcc if home else None,
        "mnc": home.mnc if home else None,
        "country": home.country if home else None,
        "network": home.name if home else None,
        "roaming_country": visited.country if visited else None,
        "roaming_network": visited.name if visited else None,
        "ported": ported,
        "error": None,
    }


def _longest(number: str, table: tuple[tuple[str, str], ...]) -> str | None:
    found = [(len(prefix), value) for prefix, value in table if number.startswith(prefix)]
    return max(found)[1] if found else None


def _roaming(number: str, table: tuple[tuple[str, str, str], ...]) -> MobileNetwork | None:
    found = [(len(p), mcc, mnc) for p, mcc, mnc in table if number.startswith(p)]
    if not found:
        return None
    _, mcc, mnc = max(found)
    return network(mcc, mnc)


def _hash(seed: int, what: str, number: str) -> int:
    digest = hashlib.blake2b(f"{seed}:{what}:{number}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _draw(seed: int, what: str, number: str) -> float:
    """A number's fixed draw in [0, 1): the same on every run with the same seed."""
    return _hash(seed, what, number) / 2.0**64


def _digits(seed: int, what: str, number: str, count: int) -> str:
    return str(_hash(seed, what, number) % 10**count).zfill(count)


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


__all__ = ["HlrSimulator", "HlrSimulatorConfig"]
