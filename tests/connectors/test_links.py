"""Links that go down: parts in flight come back, binds reconnect, the others keep sending."""

import asyncio
import random

from smsgate.connectors.smpp import SmppConnector
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from smsgate.smpp.pdu import BindTransceiver, EnquireLink, SubmitSm
from tests.connectors.helpers import (
    TIMEOUT,
    Recorder,
    connector_config,
    make_part,
    run,
    submit_all,
)
from tests.connectors.peer import ScriptedSmsc


def test_lost_link_requeues_in_flight_and_the_other_bind_carries_on() -> None:
    count = 1500

    async def scenario(sim: SmscSimulator, connector: SmppConnector, rec: Recorder) -> None:
        parts = [make_part(n, receipt=False) for n in range(count)]
        submit_all(connector, parts)
        await rec.wait_until(lambda: len(rec.submissions) >= 200)
        in_flight = connector.in_flight
        assert in_flight > 0  # with 50 ms per answer the windows are full
        assert sim.drop_connections(1) == 1
        dropped_at = len(rec.submissions)
        # The reconnect waits 0.5 s; the surviving bind goes on meanwhile.
        await rec.wait_until(lambda: len(rec.submissions) >= dropped_at + 50)
        assert connector.stats.binds == 2
        await rec.wait_until(lambda: rec.keys_submitted() == {part.key for part in parts})
        stats = connector.stats
        assert rec.failures == []
        assert stats.links_lost == 1 and stats.binds == 3 and sim.counters["binds"] == 3
        assert 0 < stats.requeued_on_loss <= 100  # at most the lost bind's window
        assert stats.resubmitted == stats.requeued_on_loss  # each sent once more
        # a part may be reported twice (the carrier took it, the answer was lost), never lost
        assert count <= len(rec.submissions) <= count + stats.resubmitted
        assert connector.links_up == 2

    run(
        scenario,
        SimulatorConfig(response_latency=0.05),
        binds=2,
        reconnect_min=0.5,
        reconnect_max=0.5,
    )


def test_unanswered_enquire_link_closes_and_rebinds() -> None:
    async def main() -> None:
        peer = ScriptedSmsc(answer_enquire_link=False)
        await peer.start()
        connector = SmppConnector(
            connector_config(peer.port, enquire_link_interval=0.1, response_timeout=0.2)
        )
        await connector.start(Recorder())
        try:
            await peer.wait_for(BindTransceiver, 2, timeout=TIMEOUT)
            assert peer.count(EnquireLink) >= 1
            assert peer.connections == 2
            assert connector.stats.links_lost >= 1
        finally:
            await connector.stop(drain_timeout=0.5)
            await peer.stop()

    asyncio.run(main())


def test_refused_binds_retry_with_backoff_and_stop_hands_parts_back() -> None:
    async def main() -> None:
        peer = ScriptedSmsc(refuse_binds=True)
        await peer.start()
        recorder = Recorder()
        connector = SmppConnector(
            connector_config(peer.port, reconnect_min=0.01, reconnect_max=0.02),
            rng=random.Random(1),
        )
        await connector.start(recorder)
        parts = [make_part(n) for n in range(3)]
        submit_all(connector, parts)
        try:
            # each refused bind is followed by another after the back-off
            await peer.wait_for(BindTransceiver, 3, timeout=TIMEOUT)
            assert connector.stats.bind_failures >= 2
            assert connector.links_up == 0 and connector.queue_depth == 3
        finally:
            unsent = await connector.stop(drain_timeout=0.5)
            await peer.stop()
        assert unsent == parts
        assert recorder.submissions == [] and recorder.failures == []
        assert not connector.submit(make_part(9))  # stopped

    asyncio.run(main())


def test_submit_timeout_is_retried_as_uncertain() -> None:
    async def main() -> None:
        peer = ScriptedSmsc(answer_submits=False)
        await peer.start()
        recorder = Recorder()
        connector = SmppConnector(connector_config(peer.port, response_timeout=0.1, max_attempts=2))
        await connector.start(recorder)
        try:
            submit_all(connector, [make_part(1)])
            await recorder.wait_until(lambda: len(recorder.failures) == 1)
        finally:
            await connector.stop(drain_timeout=0.5)
            await peer.stop()
        ((_, _, permanent, detail),) = recorder.failures
        assert not permanent and "no submit_sm_resp" in detail
        assert peer.count(SubmitSm) == 2
        assert connector.stats.timeouts == 2 and connector.stats.resubmitted == 1

    asyncio.run(main())


def test_a_window_answered_at_once_is_refilled_as_the_answers_are_read() -> None:
    """The session frees a slot as it reads the answer, and the link fills every slot a read
    freed before the loop turns again: a sender woken by the read would run a turn later (on
    a busy loop about a millisecond of each slot's cycle), and one that counted its parts in
    flight as their answers were handled, another turn later still."""
    window = 4

    async def main() -> None:
        peer = ScriptedSmsc(answer_together=window)
        await peer.start()
        recorder = Recorder()
        connector = SmppConnector(connector_config(peer.port, binds=1, window=window))
        await connector.start(recorder)
        reads: list[tuple[int, int]] = []  # parts in flight before and after each read
        try:
            submit_all(connector, [make_part(n, receipt=False) for n in range(window)])
            await recorder.wait_until(lambda: len(recorder.submissions) == window)
            conn = connector.links[0].conn
            assert conn is not None
            read = conn.data_received

            def data_received(data: bytes) -> None:
                before = conn.session.outstanding
                read(data)
                reads.append((before, conn.session.outstanding))

            conn.data_received = data_received  # type: ignore[method-assign]
            parts = [make_part(n, receipt=False) for n in range(window, 4 * window)]
            submit_all(connector, parts)
            await recorder.wait_until(lambda: len(recorder.submissions) == 4 * window)
        finally:
            await connector.stop(drain_timeout=0.5)
            await peer.stop()
        # the answers to a full window come in one read; the first two windows' slots are
        # filled again before it returns, the last finds no part left
        assert [after for before, after in reads if before == window] == [window, window, 0]

    asyncio.run(main())
