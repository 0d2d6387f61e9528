"""Reading a presented credential from request headers (shared by every surface)."""

from __future__ import annotations

from starlette.requests import Request


def credential(request: Request, vendor_header: str | None = None) -> str | None:
    """The vendor's own header (``csp-auth-token``, ``X-Session-Token``) if given and
    non-empty, else an ``Authorization: Bearer`` value; ``None`` when neither is there."""
    if vendor_header is not None:
        token = request.headers.get(vendor_header, "").strip()
        if token:
            return token
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None
