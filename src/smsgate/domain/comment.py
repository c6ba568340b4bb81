"""The comment rule: text after a line "~~~" is the customer's note on the message.

It is stored and shown back to the customer (API views), but never sent to the handset and not
counted for segments or price. The separator is the line itself ("\\n~~~\\n", or with CRLF line
ends); the first one splits, so a comment may contain "~~~" lines of its own.
"""

from typing import Final

SEPARATORS: Final = ("\n~~~\n", "\r\n~~~\r\n")


def split_comment(text: str) -> tuple[str, str | None]:
    """(what is sent, the comment or None when the text has no separator line)."""
    found = [(at, sep) for sep in SEPARATORS if (at := text.find(sep)) >= 0]
    if not found:
        return text, None
    at, sep = min(found)
    return text[:at], text[at + len(sep) :]
