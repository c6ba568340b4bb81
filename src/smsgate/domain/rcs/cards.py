"""Rich cards: a standalone card (`generalPurposeCard`) and a carousel of them
(`generalPurposeCardCarousel`), each card a title, a description, a media and suggestions."""

from typing import Any, Final

from smsgate.domain.rcs import fields, limits
from smsgate.domain.rcs.fields import at, refuse
from smsgate.domain.rcs.suggestions import suggestion_list

CARD: Final = "generalPurposeCard"
CAROUSEL: Final = "generalPurposeCardCarousel"
ORIENTATIONS: Final = ("HORIZONTAL", "VERTICAL")
ALIGNMENTS: Final = ("LEFT", "RIGHT")
WIDTHS: Final = ("SMALL_WIDTH", "MEDIUM_WIDTH")
HEIGHTS: Final = ("SHORT_HEIGHT", "MEDIUM_HEIGHT", "TALL_HEIGHT")
MEDIA_FAMILIES: Final = ("image", "video", "audio")
THUMBNAIL_FAMILIES: Final = ("image",)
# what a card shows; it must show one of them
_SHOWN: Final = ("title", "description", "media")
_THUMBNAIL: Final = ("thumbnailUrl", "thumbnailContentType", "thumbnailFileSize")


def richcard_message(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("message",))
    message_path = at(path, "message")
    message = fields.fields(found["message"], message_path, (), (CARD, CAROUSEL))
    name = fields.exactly_one(message, message_path, (CARD, CAROUSEL))
    check = standalone_card if name == CARD else carousel
    return {"message": {name: check(message[name], at(message_path, name))}}


def standalone_card(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("content",), ("layout",))
    checked: dict[str, Any] = {}
    orientation = None
    if "layout" in found:
        checked["layout"] = card_layout(found["layout"], at(path, "layout"))
        orientation = checked["layout"].get("cardOrientation")
    checked["content"] = card(found["content"], at(path, "content"))
    # RBM: a horizontal card puts its media beside the text, so it needs one
    if orientation == "HORIZONTAL" and "media" not in checked["content"]:
        refuse(at(at(path, "content"), "media"), "is required by a HORIZONTAL card")
    return checked


def card_layout(value: object, path: str) -> dict[str, str]:
    found = fields.fields(value, path, (), ("cardOrientation", "imageAlignment", "cardWidth"))
    checked: dict[str, str] = {}
    if "cardOrientation" in found:
        checked["cardOrientation"] = fields.choice(
            found["cardOrientation"], at(path, "cardOrientation"), ORIENTATIONS
        )
    if "imageAlignment" in found:
        alignment_path = at(path, "imageAlignment")
        if checked.get("cardOrientation") != "HORIZONTAL":
            refuse(alignment_path, "applies to a HORIZONTAL card only")
        checked["imageAlignment"] = fields.choice(
            found["imageAlignment"], alignment_path, ALIGNMENTS
        )
    if "cardWidth" in found:
        checked["cardWidth"] = fields.choice(found["cardWidth"], at(path, "cardWidth"), WIDTHS)
    return checked


def carousel(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("content",), ("layout",))
    checked: dict[str, Any] = {}
    if "layout" in found:
        layout_path = at(path, "layout")
        layout = fields.fields(found["layout"], layout_path, ("cardWidth",))
        checked["layout"] = {
            "cardWidth": fields.choice(layout["cardWidth"], at(layout_path, "cardWidth"), WIDTHS)
        }
    content_path = at(path, "content")
    cards = fields.items(
        found["content"], content_path, limits.MIN_CAROUSEL_CARDS, limits.MAX_CAROUSEL_CARDS
    )
    checked["content"] = [
        card(item, f"{content_path}[{index}]") for index, item in enumerate(cards)
    ]
    return checked


def card(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, (), (*_SHOWN, "suggestions"))
    if not any(name in found for name in _SHOWN):
        refuse(path, "needs a title, a description or a media")
    checked: dict[str, Any] = {}
    if "title" in found:
        checked["title"] = fields.text(
            found["title"], at(path, "title"), limits.MAX_CARD_TITLE_CHARS
        )
    if "description" in found:
        checked["description"] = fields.text(
            found["description"], at(path, "description"), limits.MAX_CARD_DESCRIPTION_CHARS
        )
    if "media" in found:
        checked["media"] = media(found["media"], at(path, "media"))
    if "suggestions" in found:
        checked["suggestions"] = suggestion_list(
            found["suggestions"], at(path, "suggestions"), limits.MAX_CARD_SUGGESTIONS
        )
    return checked


def media(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(
        value,
        path,
        ("mediaUrl", "mediaContentType"),
        ("mediaFileSize", *_THUMBNAIL, "height", "contentDescription"),
    )
    checked: dict[str, Any] = {
        "mediaUrl": fields.url(found["mediaUrl"], at(path, "mediaUrl")),
        "mediaContentType": fields.mime_type(
            found["mediaContentType"], at(path, "mediaContentType"), MEDIA_FAMILIES
        ),
    }
    if "mediaFileSize" in found:
        checked["mediaFileSize"] = fields.integer(
            found["mediaFileSize"], at(path, "mediaFileSize"), 1, limits.MAX_FILE_BYTES
        )
    checked.update(thumbnail(found, path, "thumbnailContentType"))
    if "height" in found:
        checked["height"] = fields.choice(found["height"], at(path, "height"), HEIGHTS)
    if "contentDescription" in found:
        checked["contentDescription"] = fields.text(
            found["contentDescription"], at(path, "contentDescription"), limits.MAX_LABEL_CHARS
        )
    return checked


def thumbnail(found: dict[str, Any], path: str, type_field: str) -> dict[str, Any]:
    """The thumbnail fields of a media or a file (`type_field` names its MIME type: a card's
    media says thumbnailContentType, a file message thumbnailMIMEType); thumbnailUrl is
    required once any of them is given."""
    names = ("thumbnailUrl", type_field, "thumbnailFileSize")
    if not any(name in found for name in names):
        return {}
    if "thumbnailUrl" not in found:
        refuse(at(path, "thumbnailUrl"), "is required with the other thumbnail fields")
    checked: dict[str, Any] = {
        "thumbnailUrl": fields.url(found["thumbnailUrl"], at(path, "thumbnailUrl"))
    }
    if type_field in found:
        checked[type_field] = fields.mime_type(
            found[type_field], at(path, type_field), THUMBNAIL_FAMILIES
        )
    if "thumbnailFileSize" in found:
        checked["thumbnailFileSize"] = fields.integer(
            found["thumbnailFileSize"], at(path, "thumbnailFileSize"), 1, limits.MAX_THUMBNAIL_BYTES
        )
    return checked
