"""JSON:API content negotiation (pure functions over header values).

Rules (JSON:API 1.1 §Content Negotiation, which 1.0 clients also satisfy):
- a request body is ``application/vnd.api+json`` or, as ctrl-hub's SDKs send it,
  ``application/json``; ``application/vnd.api+json`` with any parameter other than
  ``profile`` is refused with 415 (``ext`` too: rolegate supports no extension);
- an ``Accept`` that lists the JSON:API media type only with such parameters is refused
  with 406 (an Accept without the JSON:API media type at all is fine: we answer JSON:API).
"""

from __future__ import annotations

from dataclasses import dataclass, field

JSONAPI = "application/vnd.api+json"
JSON = "application/json"
ALLOWED_JSONAPI_PARAMS = frozenset({"profile"})


@dataclass(frozen=True, slots=True)
class MediaRange:
    type: str
    params: dict[str, str] = field(default_factory=dict)


def _split(value: str, sep: str) -> list[str]:
    """Split on ``sep`` outside double quotes."""
    parts, current, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            current.append(char)
            escaped = True
        elif char == '"':
            quoted = not quoted
            current.append(char)
        elif char == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_media_range(value: str) -> MediaRange:
    head, *raw_params = _split(value, ";")
    params: dict[str, str] = {}
    for raw in raw_params:
        name, _, param_value = raw.strip().partition("=")
        if name.strip():
            params[name.strip().lower()] = param_value.strip().strip('"')
    return MediaRange(type=head.strip().lower(), params=params)


def parse_accept(value: str) -> list[MediaRange]:
    return [parse_media_range(part) for part in _split(value, ",") if part.strip()]


def content_type_problem(content_type: str | None) -> str | None:
    """Why a request body's media type is refused (415), or None when it is fine."""
    if content_type is None or not content_type.strip():
        return f"Send the body as {JSONAPI} (or {JSON}); the Content-Type header is missing"
    media = parse_media_range(content_type)
    if media.type == JSON:
        return None
    if media.type != JSONAPI:
        return f"Unsupported media type {media.type}; send {JSONAPI} (or {JSON})"
    extra = sorted(set(media.params) - ALLOWED_JSONAPI_PARAMS)
    if extra:
        return (
            f"{JSONAPI} must not carry media type parameters other than profile"
            f" (got: {', '.join(extra)})"
        )
    return None


def accept_problem(accept: str | None) -> str | None:
    """Why the response cannot satisfy ``Accept`` (406), or None when it can."""
    if not accept:
        return None
    jsonapi = [m for m in parse_accept(accept) if m.type == JSONAPI]
    if not jsonapi:
        return None
    # "q" weighs the entry; it is not a media type parameter.
    if all(set(m.params) - {"q"} - ALLOWED_JSONAPI_PARAMS for m in jsonapi):
        return (
            f"Every {JSONAPI} entry in Accept carries media type parameters;"
            f" accept {JSONAPI} without parameters"
        )
    return None
