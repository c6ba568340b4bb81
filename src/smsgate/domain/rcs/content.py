"""An `RCSMessage` object: exactly one kind of message (text, file, location push, rich card),
with suggested chips beside it; checked and returned normalised."""

import json
import re
from typing import Any, Final

from smsgate.domain.rcs import cards, fields, limits
from smsgate.domain.rcs.fields import at, refuse
from smsgate.domain.rcs.suggestions import suggestion_list

ROOT: Final = "RCSMessage"
TEXT: Final = "textMessage"
FILE: Final = "fileMessage"
LOCATION: Final = "geolocationPushMessage"
RICHCARD: Final = "richcardMessage"
KINDS: Final = (TEXT, FILE, LOCATION, RICHCARD)
CHIPS: Final = "suggestedChipList"
FILE_FAMILIES: Final = ("image", "video", "audio")
# "lat lon": two decimal numbers, as the guide's 3.5 sample writes a position
_POSITION: Final = re.compile(
    r"\s*([+-]?\d{1,3}(?:\.\d+)?)\s+([+-]?\d{1,3}(?:\.\d+)?)\s*", re.ASCII
)


def validate(obj: object) -> dict[str, Any]:
    """The `RCSMessage` object checked and normalised (MIME types lower-cased, whole-number
    sizes as integers, a position's spacing made single); an unknown field is refused, never
    dropped. Raises GatewayError("invalid_rcs_content", "<field path>: <reason>")."""
    found = fields.fields(obj, ROOT, (), (*KINDS, CHIPS))
    name = fields.exactly_one(found, ROOT, KINDS)
    checked: dict[str, Any] = {name: _KIND_CHECKS[name](found[name], at(ROOT, name))}
    if CHIPS in found:
        chips_path = at(ROOT, CHIPS)
        chips = fields.fields(found[CHIPS], chips_path, ("suggestions",))
        checked[CHIPS] = {
            "suggestions": suggestion_list(
                chips["suggestions"], at(chips_path, "suggestions"), limits.MAX_CHIPS, low=1
            )
        }
    # every field is bounded, so the normalised object is small enough to measure this way
    size = len(json.dumps(checked, ensure_ascii=False, separators=(",", ":")).encode())
    if size > limits.MAX_PAYLOAD_BYTES:
        refuse(ROOT, f"is {size} bytes as JSON, more than {limits.MAX_PAYLOAD_BYTES}")
    return checked


def text_message(value: object, path: str) -> str:
    return fields.text(value, path, limits.MAX_TEXT_CHARS)


def file_message(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(
        value,
        path,
        ("fileMIMEType", "fileUrl"),
        (
            "fileName",
            "fileSize",
            "thumbnailFileName",
            "thumbnailFileSize",
            "thumbnailMIMEType",
            "thumbnailUrl",
        ),
    )
    checked: dict[str, Any] = {
        "fileMIMEType": fields.mime_type(
            found["fileMIMEType"], at(path, "fileMIMEType"), FILE_FAMILIES
        ),
        "fileUrl": fields.url(found["fileUrl"], at(path, "fileUrl")),
    }
    if "fileName" in found:
        checked["fileName"] = fields.text(
            found["fileName"], at(path, "fileName"), limits.MAX_FILE_NAME_CHARS
        )
    if "fileSize" in found:
        checked["fileSize"] = fields.integer(
            found["fileSize"], at(path, "fileSize"), 1, limits.MAX_FILE_BYTES
        )
    thumbnail = cards.thumbnail(found, path, "thumbnailMIMEType")
    if "thumbnailFileName" in found:
        if not thumbnail:
            refuse(at(path, "thumbnailUrl"), "is required with the other thumbnail fields")
        thumbnail["thumbnailFileName"] = fields.text(
            found["thumbnailFileName"], at(path, "thumbnailFileName"), limits.MAX_FILE_NAME_CHARS
        )
    checked.update(thumbnail)
    return checked


def geolocation_push_message(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(
        value, path, ("pos",), ("label", "radius", "expiry", "timestamp", "timeOffset")
    )
    checked: dict[str, Any] = {"pos": position(found["pos"], at(path, "pos"))}
    if "label" in found:
        checked["label"] = fields.text(found["label"], at(path, "label"), limits.MAX_LABEL_CHARS)
    if "radius" in found:
        checked["radius"] = fields.number(
            found["radius"], at(path, "radius"), 0, limits.MAX_RADIUS_METRES
        )
    for name in ("expiry", "timestamp"):
        if name in found:
            checked[name] = fields.timestamp(found[name], at(path, name))
    if "timeOffset" in found:
        checked["timeOffset"] = fields.integer(
            found["timeOffset"],
            at(path, "timeOffset"),
            limits.MIN_TIME_OFFSET_HOURS,
            limits.MAX_TIME_OFFSET_HOURS,
        )
    return checked


def position(value: object, path: str) -> str:
    """ "lat lon" in degrees, latitude -90 to 90, longitude -180 to 180."""
    match = _POSITION.fullmatch(fields.text(value, path, 64))
    if match is None:
        refuse(path, 'must be "latitude longitude" in decimal degrees')
    latitude, longitude = match.groups()
    if not -90 <= float(latitude) <= 90:
        refuse(path, "latitude must be from -90 to 90")
    if not -180 <= float(longitude) <= 180:
        refuse(path, "longitude must be from -180 to 180")
    return f"{latitude} {longitude}"


_KIND_CHECKS: Final = {
    TEXT: text_message,
    FILE: file_message,
    LOCATION: geolocation_push_message,
    RICHCARD: cards.richcard_message,
}
