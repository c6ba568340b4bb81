"""The bounds RCS content is held to, each with where its figure comes from.

"RBM" is Google's RCS Business Messaging reference (the GSMA Universal Profile's business
messaging as the carriers' platforms run it); "MaaP" the GSMA's Messaging as a Platform API the
KDDI guide's JSON follows. Where neither publishes a figure, the bound is smsgate's own and says
so: it only keeps a field to a size that field can sensibly have.
"""

from typing import Final

# RBM: a text message's text is at most 3,072 characters
MAX_TEXT_CHARS: Final = 3072
# RBM: a suggestion's text (reply or action) is at most 25 characters
MAX_DISPLAY_TEXT_CHARS: Final = 25
# RBM: postback data is at most 2,048 bytes (counted as UTF-8)
MAX_POSTBACK_BYTES: Final = 2048
# RBM: a rich card's title is at most 200 characters, its description at most 2,000
MAX_CARD_TITLE_CHARS: Final = 200
MAX_CARD_DESCRIPTION_CHARS: Final = 2000
# RBM: at most 11 suggested chips on a message, at most 4 suggestions on a card
MAX_CHIPS: Final = 11
MAX_CARD_SUGGESTIONS: Final = 4
# RBM: a carousel holds 2 to 10 cards; the KDDI guide (3.7) allows up to 11 for +message
MIN_CAROUSEL_CARDS: Final = 2
MAX_CAROUSEL_CARDS: Final = 11
# RBM: a message's whole payload is at most 250 KB; counted here as compact UTF-8 JSON
MAX_PAYLOAD_BYTES: Final = 250_000
# RBM and the common browser bound: a URL is at most 2,048 characters
MAX_URL_CHARS: Final = 2048
# RBM: media files up to 100 MB, thumbnails up to 100 KB (the guide's samples use 95,315 bytes)
MAX_FILE_BYTES: Final = 100 * 1024 * 1024
MAX_THUMBNAIL_BYTES: Final = 100 * 1024
# RBM: a calendar event's title is at most 100 characters, its description at most 500
MAX_EVENT_TITLE_CHARS: Final = 100
MAX_EVENT_DESCRIPTION_CHARS: Final = 500
# smsgate's own: a file name as file systems bound it, and labels (a location's, a media's
# accessible description, a map query) as short as a title
MAX_FILE_NAME_CHARS: Final = 255
MAX_LABEL_CHARS: Final = 200
# E.164: at most 15 digits; 3 is the shortest number worth dialling (emergency, short codes)
MIN_PHONE_DIGITS: Final = 3
MAX_PHONE_DIGITS: Final = 15
# half the Earth's circumference in metres: no larger radius around a point means anything
MAX_RADIUS_METRES: Final = 20_037_508
# the guide's sample gives Japan's offset from UTC as 9: hours, which range from -12 to +14
MIN_TIME_OFFSET_HOURS: Final = -12
MAX_TIME_OFFSET_HOURS: Final = 14
# smsgate's own: the plain text of a message (summary, SMS fallback), ten UCS-2 SMS segments
MAX_SUMMARY_CHARS: Final = 660
