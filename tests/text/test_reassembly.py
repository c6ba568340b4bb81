import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smsgate.text import (
    UDHI,
    Concatenation,
    DecodeError,
    EncodedMessage,
    Encoding,
    GroupKey,
    ReassembledMessage,
    Reassembler,
    TextError,
    encode_message,
    parse_udh,
    udh_fill_bits,
    unpack_septets,
)
from tests.text.strategies import gsm_text, unicode_text

EMOJI = "\U0001f600"


def add(
    reassembler: Reassembler,
    seqnum: int,
    payload: bytes,
    *,
    total: int = 3,
    reference: int = 7,
    now: float = 0.0,
    source: str = "447700900001",
    data_coding: int = 0,
) -> list[ReassembledMessage]:
    return reassembler.add(
        source=source,
        destination="1234",
        reference=reference,
        total=total,
        seqnum=seqnum,
        payload=payload,
        now=now,
        data_coding=data_coding,
    )


def test_in_order() -> None:
    reassembler = Reassembler()
    assert add(reassembler, 1, b"ab") == []
    assert add(reassembler, 2, b"cd") == []
    assert len(reassembler) == 1
    [message] = add(reassembler, 3, b"ef")
    assert message.complete
    assert message.missing == ()
    assert message.payload == b"abcdef"
    assert message.text() == "abcdef"
    assert message.key == GroupKey("447700900001", "1234", 7, 3)
    assert len(reassembler) == 0


def test_out_of_order_and_duplicates() -> None:
    reassembler = Reassembler()
    assert add(reassembler, 3, b"ef") == []
    assert add(reassembler, 1, b"ab") == []
    assert add(reassembler, 3, b"XX") == []  # duplicate: the first copy stays
    assert add(reassembler, 1, b"YY") == []
    [message] = add(reassembler, 2, b"cd")
    assert message.payload == b"abcdef"


def test_single_part_passes_straight_through() -> None:
    reassembler = Reassembler()
    [message] = add(reassembler, 1, b"hi", total=1, now=5.0)
    assert message.complete
    assert message.first_seen == 5.0
    assert message.text() == "hi"
    assert len(reassembler) == 0


def test_groups_are_kept_apart_by_key() -> None:
    reassembler = Reassembler()
    add(reassembler, 1, b"a1", total=2)
    add(reassembler, 1, b"b1", total=2, source="447700900002")
    add(reassembler, 1, b"c1", total=2, reference=8)
    add(reassembler, 1, b"d1", total=3)
    assert len(reassembler) == 4
    [message] = add(reassembler, 2, b"b2", total=2, source="447700900002")
    assert message.payload == b"b1b2"


@pytest.mark.parametrize(("seqnum", "total"), [(0, 3), (4, 3), (1, 0)])
def test_rejects_impossible_part_numbers(seqnum: int, total: int) -> None:
    with pytest.raises(TextError, match="outside"):
        add(Reassembler(), seqnum, b"x", total=total)


def test_expire_flushes_old_groups_as_partial() -> None:
    reassembler = Reassembler(timeout=60.0)
    add(reassembler, 2, b"cd", now=100.0)
    add(reassembler, 1, b"zz", reference=8, now=130.0)
    assert reassembler.expire(159.0) == []
    [old] = reassembler.expire(160.0)
    assert not old.complete
    assert old.missing == (1, 3)
    assert old.segments == (None, b"cd", None)
    assert old.payload == b"cd"
    assert old.text() == "cd"
    assert old.first_seen == 100.0
    assert len(reassembler) == 1
    [younger] = reassembler.expire(1000.0)
    assert younger.key.reference == 8
    assert len(reassembler) == 0


def test_eviction_returns_the_oldest_group() -> None:
    reassembler = Reassembler(max_groups=2)
    add(reassembler, 1, b"a", reference=1)
    add(reassembler, 1, b"b", reference=2)
    add(reassembler, 2, b"b", reference=2)  # an existing group: nothing evicted
    [evicted] = add(reassembler, 1, b"c", reference=3)
    assert evicted.key.reference == 1
    assert evicted.missing == (2, 3)
    assert len(reassembler) == 2


def test_eviction_and_completion_in_one_call() -> None:
    reassembler = Reassembler(max_groups=1)
    add(reassembler, 1, b"a", reference=1)
    evicted, completed = add(reassembler, 1, b"ab", reference=2, total=1) + add(
        reassembler, 1, b"x", reference=3, total=2
    )
    assert completed.key.reference == 1  # evicted to make room for reference 3
    assert not completed.complete
    assert evicted.complete


def test_flush_hands_back_everything() -> None:
    reassembler = Reassembler()
    add(reassembler, 1, b"a", reference=1)
    add(reassembler, 2, b"b", reference=2)
    assert [m.key.reference for m in reassembler.flush()] == [1, 2]
    assert len(reassembler) == 0


def test_max_groups_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_groups"):
        Reassembler(max_groups=0)


def test_surrogate_pair_split_by_sender_still_decodes() -> None:
    encoded = ("ab" + EMOJI).encode("utf-16-be")
    reassembler = Reassembler()
    add(reassembler, 2, encoded[6:], total=2, data_coding=8)  # the low surrogate
    [message] = add(reassembler, 1, encoded[:6], total=2, data_coding=8)
    assert message.text() == "ab" + EMOJI


def test_escape_split_by_sender_still_decodes() -> None:
    reassembler = Reassembler()
    add(reassembler, 1, b"price \x1b", total=2)
    [message] = add(reassembler, 2, b"\x655", total=2)
    assert message.text() == "price €5"


def test_gap_leaves_a_pair_half_that_cannot_decode() -> None:
    encoded = ("ab" + EMOJI + "cd").encode("utf-16-be")
    reassembler = Reassembler(timeout=1.0)
    add(reassembler, 1, encoded[:6], data_coding=8)  # ends on the high surrogate
    add(reassembler, 3, encoded[8:], data_coding=8)
    [partial] = reassembler.expire(5.0)
    assert partial.missing == (2,)
    with pytest.raises(DecodeError):
        partial.text()
    assert partial.text(errors="replace") == "ab\ufffdcd"


def test_complete_message_with_a_broken_escape() -> None:
    reassembler = Reassembler()
    add(reassembler, 1, b"abc", total=2)
    [message] = add(reassembler, 2, b"de\x1b", total=2)
    with pytest.raises(DecodeError, match="escape"):
        message.text()
    assert message.text(errors="replace") == "abcde\ufffd"


def test_data_coding_decides_the_decoding() -> None:
    [message] = add(Reassembler(), 1, b"\xe9", total=1, data_coding=0)
    assert message.text(smsc_default=Encoding.LATIN1) == "é"
    with pytest.raises(DecodeError):
        message.text()  # 0xE9 is not a septet
    [binary] = add(Reassembler(), 1, b"\x00\xff", total=1, data_coding=4)
    with pytest.raises(TextError, match="binary"):
        binary.text()
    assert binary.payload == b"\x00\xff"


def test_data_coding_of_the_first_part_wins() -> None:
    reassembler = Reassembler()
    add(reassembler, 2, "é".encode("utf-16-be"), total=2, data_coding=8)
    [message] = add(reassembler, 1, b"\x00a", total=2, data_coding=0)
    assert message.data_coding == 8
    assert message.text() == "aé"


# -- split, shuffle, duplicate, reassemble ----------------------------------------------------


def feed(message: EncodedMessage, order: list[int], packed: bool) -> list[ReassembledMessage]:
    reassembler = Reassembler()
    finished: list[ReassembledMessage] = []
    for step, index in enumerate(order):
        part = message.parts[index]
        body, fill_bits = part.short_message, 0
        if part.sar is not None:
            reference, total, seqnum = part.sar
        elif part.esm_class & UDHI:
            udh, body = parse_udh(part.short_message)
            assert udh.concat is not None
            reference, total, seqnum = udh.concat.reference, udh.concat.total, udh.concat.seqnum
            fill_bits = udh_fill_bits(udh.length)
        else:
            reference, total, seqnum = 0, 1, 1
        if packed and message.encoding is Encoding.GSM7:
            body = unpack_septets(body, fill_bits)
        finished += reassembler.add(
            source="a",
            destination="b",
            reference=reference,
            total=total,
            seqnum=seqnum,
            payload=body,
            now=float(step),
            data_coding=message.data_coding,
        )
    assert len(reassembler) == 0
    return finished


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(gsm_text(1200), unicode_text(500)),
    st.sampled_from([Concatenation.UDH8, Concatenation.UDH16, Concatenation.SAR]),
    st.booleans(),
    st.data(),
)
def test_split_then_reassemble(
    text: str, concatenation: Concatenation, packed: bool, data: st.DataObject
) -> None:
    # A packed part that ends in CR on an octet boundary loses it (see test_gsm7).
    assume(not (packed and "\r" in text))
    message = encode_message(
        text, reference=200, concatenation=concatenation, packed=packed, max_segments=255
    )
    indices = list(range(message.segments))
    # A single part is a message on its own, so only parts of a group can be duplicates.
    duplicates = data.draw(
        st.lists(st.sampled_from(indices), max_size=4 if len(indices) > 1 else 0)
    )
    order = data.draw(st.permutations(indices + duplicates))
    finished = feed(message, order, packed)
    assert len(finished) == 1
    [result] = finished
    assert result.complete
    assert result.text() == text


def test_redelivered_part_after_completion_is_ignored() -> None:
    reassembler = Reassembler(timeout=60.0)
    add(reassembler, 1, b"ab", total=2, now=0.0)
    [message] = add(reassembler, 2, b"cd", total=2, now=1.0)
    assert message.payload == b"abcd"
    assert add(reassembler, 2, b"cd", total=2, now=2.0) == []
    assert add(reassembler, 1, b"ab", total=2, now=3.0) == []
    assert len(reassembler) == 0


def test_new_message_reusing_a_completed_key_is_assembled() -> None:
    reassembler = Reassembler(timeout=60.0)
    add(reassembler, 1, b"ab", total=2)
    add(reassembler, 2, b"cd", total=2)
    assert add(reassembler, 1, b"ef", total=2) == []  # different octets: a new message
    assert len(reassembler) == 1
    assert add(reassembler, 2, b"cd", total=2) == [
        ReassembledMessage(GroupKey("447700900001", "1234", 7, 2), 0, (b"ef", b"cd"), 0.0)
    ]


def test_completed_groups_are_forgotten_after_timeout() -> None:
    reassembler = Reassembler(timeout=60.0)
    add(reassembler, 1, b"ab", total=2, now=0.0)
    add(reassembler, 2, b"cd", total=2, now=1.0)
    assert reassembler.expire(61.0) == []
    assert add(reassembler, 2, b"cd", total=2, now=62.0) == []
    assert len(reassembler) == 1  # no longer recognised as a redelivery: a new group


def test_completed_memory_is_bounded() -> None:
    reassembler = Reassembler(max_groups=2)
    for reference in range(3):
        add(reassembler, 1, b"a", total=2, reference=reference)
        add(reassembler, 2, b"b", total=2, reference=reference)
    assert add(reassembler, 2, b"b", total=2, reference=2) == []  # still remembered
    assert len(reassembler) == 0
    assert add(reassembler, 2, b"b", total=2, reference=0) == []  # forgotten: opens a group
    assert len(reassembler) == 1


def test_holds_tells_duplicates_before_they_are_added() -> None:
    reassembler = Reassembler(timeout=60)
    key = GroupKey("447700900001", "1234", 7, 3)
    assert not reassembler.holds(key, 1, b"a")
    add(reassembler, 1, b"a")
    assert reassembler.holds(key, 1, b"a") and not reassembler.holds(key, 2, b"b")
    add(reassembler, 2, b"b")
    (done,) = add(reassembler, 3, b"c")
    assert done.complete
    # a redelivered part of the completed message, but not a new message reusing the key
    assert reassembler.holds(key, 3, b"c") and not reassembler.holds(key, 3, b"x")


def test_withdrawn_and_reopened_parts_can_come_again() -> None:
    reassembler = Reassembler(timeout=60)
    key = GroupKey("447700900001", "1234", 7, 3)
    add(reassembler, 1, b"a")
    reassembler.withdraw(key, 1)
    assert len(reassembler) == 0 and not reassembler.holds(key, 1, b"a")
    add(reassembler, 1, b"a")
    add(reassembler, 2, b"b")
    (done,) = add(reassembler, 3, b"c")
    # the caller could not store the message: its last part will come again
    reassembler.reopen(done, without=3)
    assert reassembler.holds(key, 2, b"b") and not reassembler.holds(key, 3, b"c")
    (again,) = add(reassembler, 3, b"c")
    assert again.payload == b"abc"
