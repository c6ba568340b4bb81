"""Exceptions raised by the text codecs, segmentation and reassembly."""


class TextError(ValueError):
    """Base of every error raised by smsgate.text."""


class UnencodableError(TextError):
    """A character of the text has no representation in the requested encoding."""

    def __init__(self, encoding: str, text: str, position: int) -> None:
        self.encoding = encoding
        self.position = position
        self.character = text[position]
        super().__init__(
            f"character {self.character!r} (U+{ord(self.character):04X}) at position "
            f"{position} cannot be encoded in {encoding}"
        )


class DecodeError(TextError):
    """Bytes that are not valid in the encoding they were declared to be in."""

    def __init__(self, encoding: str, position: int | None, reason: str) -> None:
        self.encoding = encoding
        self.position = position
        where = "" if position is None else f" at octet {position}"
        super().__init__(f"cannot decode {encoding}{where}: {reason}")


class TooManySegmentsError(TextError):
    """The message needs more parts than allowed."""

    def __init__(self, segments: int, limit: int) -> None:
        self.segments = segments
        self.limit = limit
        super().__init__(f"message needs {segments} segments, at most {limit} are allowed")


class UdhError(TextError):
    """A user data header that cannot be parsed or built."""
