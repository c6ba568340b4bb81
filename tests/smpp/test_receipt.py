"""Delivery receipt text: parse what SMSCs send, build the canonical form, match message ids."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.smpp.constants import MessageState
from smsgate.smpp.receipt import (
    Receipt,
    ReceiptError,
    build_receipt_text,
    normalise_message_id,
    parse_receipt_text,
    receipt_id_candidates,
    stat_to_state,
    state_to_stat,
)

CANONICAL = (
    "id:0123456789 sub:001 dlvrd:001 submit date:2611231530 done date:2611231531 "
    "stat:DELIVRD err:000 text:Hello"
)

# --- parsing: known strings -----------------------------------------------------------------


def test_parse_canonical() -> None:
    assert parse_receipt_text(CANONICAL) == Receipt(
        message_id="0123456789",
        state=MessageState.DELIVERED,
        stat="DELIVRD",
        submitted=1,
        delivered=1,
        submit_date=datetime(2026, 11, 23, 15, 30),
        done_date=datetime(2026, 11, 23, 15, 31),
        error="000",
        text="Hello",
    )


def test_parse_capitalised_text_key_and_hex_id() -> None:
    receipt = parse_receipt_text(
        "id:7F3A9C sub:001 dlvrd:000 submit date:2611231530 done date:2611231545 "
        "stat:UNDELIV err:001 Text:Your code is 1234"
    )
    assert receipt.message_id == "7F3A9C"
    assert receipt.state is MessageState.UNDELIVERABLE
    assert (receipt.submitted, receipt.delivered) == (1, 0)
    assert receipt.error == "001"
    assert receipt.text == "Your code is 1234"


def test_parse_lower_and_mixed_case_keys_and_stat() -> None:
    receipt = parse_receipt_text(
        "ID:abc123 SUB:001 Dlvrd:001 Submit Date:2611231530 DONE DATE:2611231531 "
        "Stat:delivrd ERR:000 TEXT:hi"
    )
    assert receipt.message_id == "abc123"
    assert receipt.state is MessageState.DELIVERED
    assert receipt.stat == "delivrd"  # kept as received
    assert receipt.submit_date == datetime(2026, 11, 23, 15, 30)
    assert receipt.done_date == datetime(2026, 11, 23, 15, 31)
    assert receipt.text == "hi"


def test_parse_dates_with_seconds() -> None:
    receipt = parse_receipt_text(
        "id:1 sub:001 dlvrd:001 submit date:261123153007 done date:261123153159 stat:DELIVRD"
    )
    assert receipt.submit_date == datetime(2026, 11, 23, 15, 30, 7)
    assert receipt.done_date == datetime(2026, 11, 23, 15, 31, 59)


def test_parse_mixed_date_precisions() -> None:
    receipt = parse_receipt_text("id:1 submit date:2611231530 done date:261123153159 stat:EXPIRED")
    assert receipt.submit_date == datetime(2026, 11, 23, 15, 30)
    assert receipt.done_date == datetime(2026, 11, 23, 15, 31, 59)


@pytest.mark.parametrize(
    "spelling", ["submit date", "submit_date", "submitdate", "Submit  Date", "SUBMIT_DATE"]
)
def test_parse_submit_date_spellings(spelling: str) -> None:
    receipt = parse_receipt_text(f"id:1 {spelling}:2611231530 stat:DELIVRD")
    assert receipt.submit_date == datetime(2026, 11, 23, 15, 30)


def test_parse_only_id_and_stat() -> None:
    assert parse_receipt_text("id:42 stat:EXPIRED") == Receipt(
        message_id="42", state=MessageState.EXPIRED, stat="EXPIRED"
    )


def test_parse_missing_fields_are_absent_not_invented() -> None:
    receipt = parse_receipt_text("id:42 dlvrd:000 stat:REJECTD text:")
    assert receipt.submitted is None
    assert receipt.delivered == 0
    assert receipt.submit_date is None
    assert receipt.done_date is None
    assert receipt.error == ""
    assert receipt.text == ""


def test_parse_empty_optional_values_are_absent() -> None:
    receipt = parse_receipt_text(
        "id:42 sub: dlvrd: submit date: done date: stat:ENROUTE err: text:"
    )
    assert receipt == Receipt(message_id="42", state=MessageState.ENROUTE, stat="ENROUTE")


def test_parse_extra_whitespace() -> None:
    receipt = parse_receipt_text(
        "  id:  42   sub : 001\tdlvrd:001  submit  date:2611231530\n"
        "done date :  2611231531   stat:   DELIVRD   err:000   text:   hi there   "
    )
    assert receipt.message_id == "42"
    assert receipt.submitted == 1
    assert receipt.submit_date == datetime(2026, 11, 23, 15, 30)
    assert receipt.done_date == datetime(2026, 11, 23, 15, 31)
    assert receipt.state is MessageState.DELIVERED
    assert receipt.text == "hi there"


def test_text_runs_to_the_end_and_may_hold_colons_and_keys() -> None:
    receipt = parse_receipt_text("id:1 stat:DELIVRD err:000 text:stat:REJECTD id:9 time: 10:30")
    assert receipt.message_id == "1"
    assert receipt.state is MessageState.DELIVERED
    assert receipt.text == "stat:REJECTD id:9 time: 10:30"


def test_text_is_not_truncated_when_parsing() -> None:
    receipt = parse_receipt_text("id:1 stat:DELIVRD text:" + "x" * 160)
    assert receipt.text == "x" * 160


def test_parse_fields_in_another_order() -> None:
    receipt = parse_receipt_text(
        "stat:DELIVRD err:000 done date:2611231531 id:ff00 dlvrd:001 sub:001 "
        "submit date:2611231530 text:x"
    )
    assert receipt == Receipt(
        message_id="ff00",
        state=MessageState.DELIVERED,
        submitted=1,
        delivered=1,
        submit_date=datetime(2026, 11, 23, 15, 30),
        done_date=datetime(2026, 11, 23, 15, 31),
        error="000",
        text="x",
    )


@pytest.mark.parametrize("error", ["E05", "0x1F", "12345", "1", "0B"])
def test_parse_error_codes_are_kept_verbatim(error: str) -> None:
    assert parse_receipt_text(f"id:1 stat:UNDELIV err:{error} text:").error == error


def test_parse_ignores_unknown_fields_and_leading_junk() -> None:
    receipt = parse_receipt_text(
        "DLR id:1 sub:001 dlvrd:001 imsi:123456 stat:DELIVRD err:000 mccmnc:26201 text:ok"
    )
    assert receipt.message_id == "1"
    assert receipt.submitted == 1
    assert receipt.delivered == 1
    assert receipt.error == "000"
    assert receipt.text == "ok"


def test_parse_strips_trailing_nul() -> None:
    assert parse_receipt_text("id:1 stat:DELIVRD text:hi\x00").text == "hi"


def test_key_must_stand_alone() -> None:
    # "nostat:" and "valid:" end in key names but are not keys.
    with pytest.raises(ReceiptError, match="no stat"):
        parse_receipt_text("id:1 nostat:DELIVRD")
    receipt = parse_receipt_text("xid:9 id:1 stat:DELIVRD")
    assert receipt.message_id == "1"


def test_non_ascii_lookalike_keys_are_not_keys() -> None:
    # U+017F LATIN SMALL LETTER LONG S matches "s" case-insensitively in Python's re.
    with pytest.raises(ReceiptError, match="no stat"):
        parse_receipt_text("id:1 \u017ftat:DELIVRD")


# --- parsing: malformed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no id"),
        ("hello world", "no id"),
        ("sub:001 dlvrd:001 stat:DELIVRD", "no id"),
        ("id: stat:DELIVRD", "no id"),
        ("id:1 sub:001 dlvrd:001 err:000 text:x", "no stat"),
        ("id:1 stat: err:000", "no stat"),
        ("id:1 text:stat:DELIVRD", "no stat"),
        ("id:1 stat:FAILED", "unknown receipt stat 'FAILED'"),
        ("id:1 stat:DELIV", "unknown receipt stat"),
        ("id:1 id:2 stat:DELIVRD", "field 'id' twice"),
        ("id:1 stat:DELIVRD STAT:UNDELIV", "field 'stat' twice"),
        ("id:1 submit date:2611231530 submit_date:2611231530 stat:DELIVRD", "'submit date' twice"),
        ("id:1 sub:abc stat:DELIVRD", "sub must be digits"),
        ("id:1 dlvrd:-1 stat:DELIVRD", "dlvrd must be digits"),
        ("id:1 sub:1_000 stat:DELIVRD", "sub must be digits"),
        ("id:1 sub:\u0661 stat:DELIVRD", "sub must be digits"),
        ("id:1 submit date:26112315 stat:DELIVRD", "submit date.*10 or 12 digits"),
        ("id:1 done date:2611231530123 stat:DELIVRD", "done date.*10 or 12 digits"),
        ("id:1 submit date:2613231530 stat:DELIVRD", "submit date.*month must be in 1..12"),
        ("id:1 done date:2602301530 stat:DELIVRD", "done date.*day is out of range"),
    ],
)
def test_parse_rejects_malformed(text: str, message: str) -> None:
    with pytest.raises(ReceiptError, match=message):
        parse_receipt_text(text)


def test_receipt_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no stat"):
        parse_receipt_text("id:1")


receipt_fragments = st.sampled_from(
    [
        "id:",
        "ID :",
        "sub:",
        "dlvrd:",
        "submit date:",
        "done_date:",
        "stat:",
        "err:",
        "text:",
        "Text:",
        "DELIVRD",
        "undeliv",
        "001",
        "-1",
        "2611231530",
        "261123153059",
        "9913311560",
        "7F3A9C",
        " ",
        "  ",
        "\t",
        "\u00a0",
        ":",
        "\x00",
        "\u017f",
        "\u0661",
        "x",
    ]
)


@given(st.one_of(st.text(), st.lists(receipt_fragments, max_size=30).map("".join)))
def test_parse_arbitrary_text_raises_only_receipt_error(text: str) -> None:
    try:
        receipt = parse_receipt_text(text)
    except ReceiptError:
        return
    assert receipt.message_id
    assert receipt.stat
    assert receipt.state is stat_to_state(receipt.stat)


# --- building -------------------------------------------------------------------------------


def full_receipt(**changes: object) -> Receipt:
    fields: dict[str, object] = {
        "message_id": "0123456789",
        "state": MessageState.DELIVERED,
        "submitted": 1,
        "delivered": 1,
        "submit_date": datetime(2026, 11, 23, 15, 30, 12),
        "done_date": datetime(2026, 11, 23, 15, 31, 45),
        "error": "000",
        "text": "Hello",
    }
    fields.update(changes)
    return Receipt(**fields)  # type: ignore[arg-type]


def test_build_canonical() -> None:
    assert build_receipt_text(full_receipt()) == CANONICAL


def test_build_with_seconds() -> None:
    assert build_receipt_text(full_receipt(), seconds=True) == (
        "id:0123456789 sub:001 dlvrd:001 submit date:261123153012 done date:261123153145 "
        "stat:DELIVRD err:000 text:Hello"
    )


def test_build_truncates_text_to_twenty_characters() -> None:
    text = build_receipt_text(full_receipt(text="The quick brown fox jumps over the lazy dog"))
    assert text.endswith(" text:The quick brown fox ")
    assert parse_receipt_text(text).text == "The quick brown fox"


def test_build_pads_counts_and_numeric_errors() -> None:
    text = build_receipt_text(full_receipt(submitted=2, delivered=0, error="5"))
    assert " sub:002 dlvrd:000 " in text
    assert " err:005 " in text
    assert " sub:1234 " in build_receipt_text(full_receipt(submitted=1234))
    assert " err:E05 " in build_receipt_text(full_receipt(error="E05"))
    assert " err:12345 " in build_receipt_text(full_receipt(error="12345"))


def test_build_uses_the_canonical_stat_of_the_state() -> None:
    receipt = full_receipt(state=MessageState.UNDELIVERABLE, stat="undeliverable")
    assert " stat:UNDELIV " in build_receipt_text(receipt)


def test_build_leaves_out_absent_fields_but_always_ends_with_text() -> None:
    receipt = Receipt(message_id="42", state=MessageState.ENROUTE)
    assert build_receipt_text(receipt) == "id:42 stat:ENROUTE text:"


def test_build_writes_dates_as_their_wall_clock() -> None:
    aware = datetime(2026, 11, 23, 15, 30, tzinfo=timezone(timedelta(hours=-5)))
    text = build_receipt_text(full_receipt(submit_date=aware, done_date=aware.astimezone(UTC)))
    assert " submit date:2611231530 done date:2611232030 " in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"message_id": ""}, "field id"),
        ({"message_id": "12 34"}, "field id"),
        ({"message_id": "12\u00a034"}, "field id"),  # whitespace beyond ASCII too
        ({"message_id": "1234\u2028"}, "field id"),
        ({"error": "E 5"}, "field err"),
        ({"submitted": -1}, "sub count cannot be negative"),
        ({"delivered": -2}, "dlvrd count cannot be negative"),
        ({"done_date": datetime(2100, 1, 1)}, "2000-2099"),
    ],
)
def test_build_rejects_what_cannot_be_written(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ReceiptError, match=message):
        build_receipt_text(full_receipt(**changes))


def token(min_size: int = 1) -> st.SearchStrategy[str]:
    return st.text(min_size=min_size, max_size=12).filter(
        lambda value: not any(ch.isspace() for ch in value)
    )


receipt_dates = st.none() | st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)
)
counts = st.none() | st.integers(min_value=0, max_value=10**6)
receipts = st.builds(
    Receipt,
    message_id=token() | st.from_regex(r"[0-9A-Fa-f]{1,20}", fullmatch=True),
    state=st.sampled_from(MessageState),
    submitted=counts,
    delivered=counts,
    submit_date=receipt_dates,
    done_date=receipt_dates,
    error=st.just("") | st.from_regex(r"[0-9]{1,6}", fullmatch=True) | token(),
    text=st.text(max_size=40),
)


@given(receipts, st.booleans())
def test_build_parse_round_trip(receipt: Receipt, seconds: bool) -> None:
    def truncate(date: datetime | None) -> datetime | None:
        if date is None:
            return None
        return date.replace(second=date.second if seconds else 0, microsecond=0)

    error = receipt.error
    expected = Receipt(
        message_id=receipt.message_id,
        state=receipt.state,
        stat=state_to_stat(receipt.state),
        submitted=receipt.submitted,
        delivered=receipt.delivered,
        submit_date=truncate(receipt.submit_date),
        done_date=truncate(receipt.done_date),
        error=error.zfill(3) if error.isascii() and error.isdigit() else error,
        # Parsing drops surrounding whitespace and the trailing NULs of C strings.
        text=receipt.text[:20].rstrip("\x00").strip(),
    )
    assert parse_receipt_text(build_receipt_text(receipt, seconds=seconds)) == expected


# --- stat words and states ------------------------------------------------------------------

STAT_WORDS = {
    "SCHEDULED": MessageState.SCHEDULED,
    "ENROUTE": MessageState.ENROUTE,
    "DELIVRD": MessageState.DELIVERED,
    "EXPIRED": MessageState.EXPIRED,
    "DELETED": MessageState.DELETED,
    "UNDELIV": MessageState.UNDELIVERABLE,
    "ACCEPTD": MessageState.ACCEPTED,
    "UNKNOWN": MessageState.UNKNOWN,
    "REJECTD": MessageState.REJECTED,
    "SKIPPED": MessageState.SKIPPED,
}


@pytest.mark.parametrize(("word", "state"), STAT_WORDS.items())
def test_stat_words_map_both_ways(word: str, state: MessageState) -> None:
    assert stat_to_state(word) is state
    assert stat_to_state(word.lower()) is state
    assert stat_to_state(word.capitalize()) is state
    assert state_to_stat(state) == word


def test_every_state_has_a_stat_word() -> None:
    assert {state_to_stat(state) for state in MessageState} == set(STAT_WORDS)


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("DELIVERED", MessageState.DELIVERED),
        ("undeliverable", MessageState.UNDELIVERABLE),
        ("Accepted", MessageState.ACCEPTED),
        ("REJECTED", MessageState.REJECTED),
    ],
)
def test_spelled_out_stat_words(word: str, state: MessageState) -> None:
    assert stat_to_state(word) is state


@pytest.mark.parametrize("word", ["", "FAILED", "DELIVRD2", "2", "\u017fKIPPED"])
def test_unknown_stat_word(word: str) -> None:
    with pytest.raises(ReceiptError, match="unknown receipt stat"):
        stat_to_state(word)


@pytest.mark.parametrize(
    ("word", "final"),
    [
        ("DELIVRD", True),
        ("EXPIRED", True),
        ("DELETED", True),
        ("UNDELIV", True),
        ("UNKNOWN", True),
        ("REJECTD", True),
        ("SKIPPED", True),
        ("ENROUTE", False),
        ("ACCEPTD", False),
        ("SCHEDULED", False),
    ],
)
def test_receipt_finality_follows_the_state(word: str, final: bool) -> None:
    receipt = parse_receipt_text(f"id:1 stat:{word}")
    assert receipt.is_final is final
    assert receipt.state.is_final is final


def test_receipt_fills_the_stat_word_from_the_state() -> None:
    assert Receipt(message_id="1", state=MessageState.REJECTED).stat == "REJECTD"
    assert Receipt(message_id="1", state=MessageState.REJECTED, stat="rejectd").stat == "rejectd"


# --- message id matching --------------------------------------------------------------------


def index_ids(submitted_ids: list[str]) -> dict[str, str]:
    """What the engine does with submit_sm_resp ids: one normalised key per pending message."""
    return {normalise_message_id(message_id): message_id for message_id in submitted_ids}


def find_pending(index: dict[str, str], receipt_id: str) -> str | None:
    """What the engine does with a receipt id: the first candidate that is pending."""
    for form in receipt_id_candidates(receipt_id):
        if form in index:
            return index[form]
    return None


@pytest.mark.parametrize(
    ("message_id", "normal"),
    [
        ("7F3A9C", "7f3a9c"),
        ("0007f3a9c", "7f3a9c"),
        ("0123456789", "123456789"),
        ("0000", "0"),
        (" 42\t", "42"),
        ("A1B2-C3D4", "a1b2-c3d4"),
        ("00ab-cd", "00ab-cd"),  # not all hex digits: zeros may be significant
        ("", ""),
    ],
)
def test_normalise_message_id(message_id: str, normal: str) -> None:
    assert normalise_message_id(message_id) == normal


def test_candidates_of_a_hex_id() -> None:
    assert receipt_id_candidates("7F3A9C") == ("7f3a9c", "8338076")


def test_candidates_of_a_decimal_id_with_leading_zeros() -> None:
    # Read as decimal, 123 is hex 7b; read as hex, "123" is decimal 291.
    assert receipt_id_candidates("0123") == ("123", "7b", "291")


def test_candidates_of_zero_and_non_numeric_ids() -> None:
    assert receipt_id_candidates("0000") == ("0",)
    assert receipt_id_candidates("A1B2-C3D4") == ("a1b2-c3d4",)
    assert receipt_id_candidates(" xyz ") == ("xyz",)
    assert receipt_id_candidates("   ") == ()


def test_candidates_of_overlong_ids_skip_conversions() -> None:
    long_id = "9" * 5000
    assert receipt_id_candidates(long_id) == (long_id,)


@pytest.mark.parametrize(
    ("submit_sm_resp_id", "receipt_id"),
    [
        ("7F3A9C", "8338076"),
        ("7f3a9c", "0008338076"),
        ("0007F3A9C", "8338076"),
        ("8338076", "7F3A9C"),
        ("8338076", "007f3a9c"),
        ("0000012345", "12345"),
        ("ABCDEF", "abcdef"),
        ("0x1F", "0X1f"),
        ("msg-Ab12", "MSG-aB12"),
    ],
)
def test_ids_in_either_base_case_or_padding_match(submit_sm_resp_id: str, receipt_id: str) -> None:
    index = index_ids(["FFFFFF", submit_sm_resp_id, "1"])
    assert find_pending(index, receipt_id) == submit_sm_resp_id


def test_unrelated_ids_do_not_match() -> None:
    index = index_ids(["7F3A9C", "12345", "abc-def"])
    assert find_pending(index, "7F3A9D") is None
    assert find_pending(index, "12346") is None
    assert find_pending(index, "abc-de") is None


def test_decimal_looking_ids_are_ambiguous() -> None:
    # "123" is valid decimal and valid hex, so its candidates reach both 0x7b and 0x123 (= 291).
    assert receipt_id_candidates("123") == ("123", "7b", "291")
    # With only message 291 pending on an SMSC that uses decimal throughout, a receipt for 123
    # is taken for it...
    assert find_pending(index_ids(["291"]), "123") == "291"
    # ...but the id's own form is tried first, so an exactly matching pending message wins.
    index = index_ids(["123", "291"])
    assert find_pending(index, "291") == "291"
    assert find_pending(index, "123") == "123"


@given(st.integers(min_value=0, max_value=2**128), st.integers(min_value=0, max_value=6))
def test_hex_and_decimal_forms_of_one_number_match_both_ways(number: int, zeros: int) -> None:
    hex_id = "0" * zeros + format(number, "X")
    decimal_id = "0" * zeros + str(number)
    assert normalise_message_id(hex_id) in receipt_id_candidates(decimal_id)
    assert normalise_message_id(decimal_id) in receipt_id_candidates(hex_id)


@given(st.text())
def test_candidates_never_fail_and_start_with_the_normal_form(message_id: str) -> None:
    candidates = receipt_id_candidates(message_id)
    assert len(set(candidates)) == len(candidates)
    assert all(candidates)
    normal = normalise_message_id(message_id)
    assert candidates[:1] == ((normal,) if normal else ())
