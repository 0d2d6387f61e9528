"""Refuse JSON bodies nested deeper than a bound before anything parses them into models.

Deep nesting costs recursion in every parser and validator downstream; no request of any
surface needs more than a handful of levels. The check is cheap for ordinary bodies: a
body with fewer brackets than the bound cannot be too deep and is not parsed here.
"""

from __future__ import annotations

import email.message
import re
from typing import Any

import orjson
from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException


def json_depth_exceeds(body: bytes, max_depth: int) -> bool:
    """True when ``body`` is JSON nested deeper than ``max_depth`` containers."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # orjson stops at its own depth limit (named "recursion" in older releases,
        # "depth" in newer ones; a test pins it); anything else is left to the
        # surface's validation (invalid JSON is a 4xx there).
        message = str(exc).lower()
        return "depth" in message or "recursion" in message
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def has_unpaired_surrogate(body: bytes) -> bool:
    """True for JSON whose string escapes name half a UTF-16 pair (``"\\udc00"``).

    Python's json module accepts them and yields a string no database can store; orjson
    refuses them, so it is the judge. Only bodies with an escape in the range are parsed.
    """
    if _SURROGATE_ESCAPE.search(body) is None:
        return False
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return "surrogate" in str(exc).lower()
    return False


def is_json_media_type(content_type: str | None) -> bool:
    """True for the bodies FastAPI parses as JSON: ``application/json`` or
    ``application/*+json``, in any letter case and with any parameters.

    The same parser FastAPI uses (``email.message``), so a body the limits skip is one
    the framework does not parse as JSON either.
    """
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


async def enforce_depth(request: Request, max_depth: int) -> None:
    """Refuse a JSON body nested deeper than ``max_depth`` or with an unpaired surrogate."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    if not is_json_media_type(request.headers.get("content-type")):
        return
    body = await request.body()
    if body and json_depth_exceeds(body, max_depth):
        raise StarletteHTTPException(400, f"Request body is nested deeper than {max_depth} levels")
    if body and has_unpaired_surrogate(body):
        raise StarletteHTTPException(
            400, "Request body has an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF)"
        )
