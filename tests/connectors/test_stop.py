"""stop(): no new parts, answers of parts in flight awaited (up to the timeout), unbind, close,
and the parts not sent handed back."""

import asyncio

from smsgate.connectors import SmppConnector
from smsgate.smpp.pdu import BindTransceiver, SubmitSm, Unbind
from tests.connectors.helpers import Recorder, connector_config, make_part, submit_all
from tests.connectors.peer import ScriptedSmsc


async def _started(peer: ScriptedSmsc, **overrides: object) -> tuple[SmppConnector, Recorder]:
    await peer.start()
    recorder = Recorder()
    connector = SmppConnector(connector_config(peer.port, **overrides), recorder)
    await connector.start()
    return connector, recorder


def test_stop_waits_for_answers_in_flight_then_unbinds() -> None:
    async def main() -> None:
        peer = ScriptedSmsc(submit_delay=0.3)
        connector, recorder = await _started(peer)
        parts = [make_part(n) for n in range(50)]
        submit_all(connector, parts)
        await peer.wait_for(SubmitSm, 50)
        assert connector.in_flight == 50
        unsent = await connector.stop(drain_timeout=5.0)
        assert unsent == []
        assert recorder.keys_submitted() == {part.key for part in parts}
        assert isinstance(peer.received[-1], Unbind) and peer.count(Unbind) == 1
        assert connector.binds_up == 0 and connector.in_flight == 0
        assert not connector.submit(make_part(99))
        await peer.stop()

    asyncio.run(main())


def test_stop_hands_back_what_was_queued_or_never_answered() -> None:
    async def main() -> None:
        peer = ScriptedSmsc(answer_submits=False)
        connector, recorder = await _started(peer, window=10)
        parts = [make_part(n) for n in range(15)]
        submit_all(connector, parts)
        await peer.wait_for(SubmitSm, 10)  # the window is full, five wait in the queue
        assert (connector.in_flight, connector.queue_depth) == (10, 5)
        loop = asyncio.get_running_loop()
        start = loop.time()
        unsent = await connector.stop(drain_timeout=0.2)
        assert loop.time() - start < 2.0
        assert sorted(part.key for part in unsent) == sorted(part.key for part in parts)
        assert recorder.submissions == [] and recorder.failures == []  # no event for them
        assert peer.count(Unbind) == 1 and peer.count(BindTransceiver) == 1
        await peer.stop()

    asyncio.run(main())
