"""A JSON response rendered with orjson (fast, and strict about what it can encode)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class ORJSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
