"""The comment rule: the first "~~~" line splits what is sent from the customer's note."""

import pytest

from smsgate.domain.comment import split_comment


@pytest.mark.parametrize(
    ("text", "sent", "comment"),
    [
        ("Hello", "Hello", None),
        ("Hello\n~~~\norder 42", "Hello", "order 42"),
        ("Hello\r\n~~~\r\norder 42", "Hello", "order 42"),
        ("Hello\n~~~\n", "Hello", ""),
        ("a\n~~~\nb\n~~~\nc", "a", "b\n~~~\nc"),  # the first line splits
        ("a\r\n~~~\r\nb\n~~~\nc", "a", "b\n~~~\nc"),
        ("\n~~~\nonly a note", "", "only a note"),
        ("~~~\nnot a line of its own", "~~~\nnot a line of its own", None),
        ("ends with\n~~~", "ends with\n~~~", None),
        ("tilde ~~~ inside", "tilde ~~~ inside", None),
    ],
)
def test_split_comment(text: str, sent: str, comment: str | None) -> None:
    assert split_comment(text) == (sent, comment)
