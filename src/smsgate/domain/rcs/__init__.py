"""RCS (+message) content: the `RCSMessage` object a client sends, as the GSMA MaaP and RCS
Business Messaging shapes the KDDI Message Cast guide's samples use. Pure: no IO.

- `validate(obj)`: the object checked and normalised, or GatewayError("invalid_rcs_content",
  "<field path>: <reason>");
- `kind(content)`: "text", "file", "location", "richcard" or "carousel";
- `summary(content)`: its plain text (search, display, SMS fallback), at most 660 characters.
"""

from smsgate.domain.rcs.content import validate
from smsgate.domain.rcs.summary import KIND_NAMES, kind, summary

__all__ = ["KIND_NAMES", "kind", "summary", "validate"]
