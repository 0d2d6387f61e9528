"""Which credential a request presents: the token itself (for the surfaces' auth) and a
stable fingerprint of it (never the secret itself).

Rate limits and idempotency keys are counted per credential. The header names are the
three surfaces' (Infisical ``Authorization``, CSP ``csp-auth-token``, ctrl-hub
``X-Session-Token``); a request without one is keyed by its client address.
"""

from __future__ import annotations

import hashlib

from fastapi import Request

CREDENTIAL_HEADERS = ("authorization", "csp-auth-token", "x-session-token")


def credential_fingerprint(request: Request) -> str | None:
    """sha256 of the first credential header present (64 hex chars), or None."""
    for name in CREDENTIAL_HEADERS:
        value = request.headers.get(name, "").strip()
        if value:
            return hashlib.sha256(f"{name}:{value}".encode()).hexdigest()
    return None


def client_key(request: Request) -> str:
    """The credential fingerprint, or ``addr:<client address>`` for anonymous requests."""
    fingerprint = credential_fingerprint(request)
    if fingerprint:
        return f"cred:{fingerprint}"
    host = request.client.host if request.client else "unknown"
    return f"addr:{host}"


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
