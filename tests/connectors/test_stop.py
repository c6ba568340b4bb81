"""stop(): no new parts, answers of parts in flight awaited (up to the timeout), unbind, close,
and the parts not sent handed back."""

import asyncio

from smsgate.connectors.smpp import SmppConnector
from smsgate.smpp.pdu import BindTransceiver, DataSm, DeliverSm, SubmitSm, Unbind
from tests.conftest import start_simulator
from tests.connectors.helpers import (
    SYSTEM_ID,
    TIMEOUT,
    Recorder,
    connector_config,
    make_part,
    submit_all,
)
from tests.connectors.peer import ScriptedSmsc


async def _started(peer: ScriptedSmsc, **overrides: object) -> tuple[SmppConnector, Recorder]:
    await peer.start()
    recorder = Recorder()
    connector = SmppConnector(connector_config(peer.port, **overrides))
    await connector.start(recorder)
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
        assert connector.links_up == 0 and connector.in_flight == 0
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


def test_stop_lets_the_engine_finish_an_mo_and_answers_it() -> None:
    async def main() -> None:
        sim = await start_simulator()
        recorder = Recorder()
        connector = SmppConnector(connector_config(sim.config.port))
        await connector.start(recorder)
        entered = asyncio.Event()

        async def slow_store(pdu: DeliverSm | DataSm) -> None:
            entered.set()
            await asyncio.sleep(0.2)  # stands for a slow database write, not a wait

        recorder.inbound_hook = slow_store
        submit_all(connector, [make_part(1, receipt=False)])
        await recorder.wait_until(lambda: len(recorder.submissions) == 1)  # bound
        mo = asyncio.create_task(sim.send_mo(SYSTEM_ID, "447700900999", "12345", "hi"))
        await asyncio.wait_for(entered.wait(), TIMEOUT)
        assert await connector.stop(drain_timeout=5.0) == []
        assert len(recorder.mo) == 1
        response = await asyncio.wait_for(mo, TIMEOUT)
        assert response.command_status == 0  # answered before the unbind
        await sim.stop()

    asyncio.run(main())
