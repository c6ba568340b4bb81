"""What a relay's SMTP reply means for a part, and the e-mail error code (SMSC.ru's `err` of an
e-mail message's status) it maps to.

SMSC.ru lists "error codes in the status of e-mail messages" without giving their values in the
material we have, so the values are ours (docs/channels.md keeps the table):

| err | meaning                               | SMTP replies                                   |
|-----|---------------------------------------|------------------------------------------------|
| 0   | the relay took the message            | 250                                            |
| 1   | no such mailbox                       | 5.1.1, 5.1.0, 5.1.3, 5.1.6; 550, 551, 553 bare |
| 2   | no such domain, or no route to it     | 5.1.2, 5.4.4, 5.4.6                            |
| 3   | mailbox full                          | 5.2.2, 4.2.2 (after the retries), 452/552 bare |
| 4   | mailbox disabled                      | 5.2.1                                          |
| 5   | refused by policy (spam, sender, ...) | 5.7.x, 554 bare                                |
| 6   | message too large                     | 5.3.4                                          |
| 7   | another permanent refusal             | any other 5xx                                  |
| 8   | the relay stayed unavailable          | 4xx and lost connections, after the retries    |

"bare" is a reply without an enhanced status code (RFC 3463) in its text.
"""

import re
from dataclasses import dataclass
from typing import Final

_ENHANCED: Final = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
DELIVERED: Final = "0"
UNAVAILABLE: Final = "8"
_BY_ENHANCED: Final = {
    "5.1.0": "1",
    "5.1.1": "1",
    "5.1.3": "1",
    "5.1.6": "1",
    "5.1.2": "2",
    "5.4.4": "2",
    "5.4.6": "2",
    "5.2.2": "3",
    "4.2.2": "3",
    "5.2.1": "4",
    "5.3.4": "6",
}
_BY_CODE: Final = {550: "1", 551: "1", 553: "1", 452: "3", 552: "3", 554: "5"}


@dataclass(frozen=True, slots=True)
class Reply:
    """A relay's answer to one message: its code and text (the enhanced code leads the text
    when the relay gives one)."""

    code: int
    text: str

    @property
    def taken(self) -> bool:
        return 200 <= self.code < 300

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500

    @property
    def enhanced(self) -> str | None:
        found = _ENHANCED.match(self.text)
        return ".".join(found.groups()) if found else None

    def error_code(self) -> str:
        """The e-mail error code of this reply (the table above)."""
        if self.taken:
            return DELIVERED
        enhanced = self.enhanced
        if enhanced is not None:
            if enhanced in _BY_ENHANCED:
                return _BY_ENHANCED[enhanced]
            if enhanced.startswith("5.7."):
                return "5"
        if self.temporary:
            return "3" if self.code == 452 else UNAVAILABLE
        return _BY_CODE.get(self.code, "7")

    def describe(self) -> str:
        """For a failure's detail: the reply and its e-mail error code."""
        text = " ".join(self.text.split())[:300]  # one line, bounded
        return f"{self.code} {text} (e-mail error {self.error_code()})"


__all__ = ["DELIVERED", "UNAVAILABLE", "Reply"]
