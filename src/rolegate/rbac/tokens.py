"""JWT access tokens, minted and verified with python-jose.

Every token names its surface in ``aud`` (``rolegate:infisical`` …), so a token minted for
one surface is refused on another. The verifier pins the algorithm list from settings:
the ``alg`` in a token header never chooses how it is checked, and ``none`` never passes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from jose import JWTError, jwt

from rolegate.rbac.errors import AuthenticationError


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    jti: uuid.UUID
    issued_at: dt.datetime
    expires_at: dt.datetime


# (codec, surface, token) -> (claims, exp): tokens that passed :meth:`TokenCodec.verify`.
_VERIFIED: dict[tuple[TokenCodec, str, str], tuple[dict[str, Any], float]] = {}
_VERIFIED_CAPACITY = 1024


@dataclass(frozen=True, slots=True)
class TokenCodec:
    secret: str
    algorithm: str
    issuer: str

    def audience(self, surface: str) -> str:
        return f"rolegate:{surface}"

    def mint(
        self,
        *,
        surface: str,
        subject: uuid.UUID,
        ttl_seconds: int,
        claims: dict[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> IssuedToken:
        issued = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        expires = issued + dt.timedelta(seconds=ttl_seconds)
        jti = uuid.uuid4()
        payload: dict[str, Any] = {
            **(claims or {}),
            "sub": str(subject),
            "iss": self.issuer,
            "aud": self.audience(surface),
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": str(jti),
        }
        token = jwt.encode(payload, self.secret, algorithm=self.algorithm)
        return IssuedToken(token=token, jti=jti, issued_at=issued, expires_at=expires)

    def verify(
        self, token: str, *, surface: str, now: dt.datetime | None = None
    ) -> dict[str, Any]:
        """The token's claims (``jti`` and ``sub`` as UUIDs), or AuthenticationError.

        ``exp`` is checked against ``now`` (the request's clock, simulated in test mode),
        not the process's: a token must expire when the test clock passes its ``exp``,
        and a token minted at a simulated instant must be valid at that instant.

        A token that passed every check before is answered from a small cache until its
        ``exp``: a client sends the same token with every request, and decoding and
        verifying it again was a measurable share of a PATCH. Revocation is not decided
        here (the token row is checked in the database on every request), so caching loses
        nothing.
        """
        at = (now or dt.datetime.now(dt.UTC)).timestamp()
        key = (self, surface, token)
        cached = _VERIFIED.get(key)
        if cached is not None:
            claims, expires = cached
            if at <= expires:
                return dict(claims)
            raise AuthenticationError("Token expired")
        claims = self._verify(token, surface=surface)
        if at > claims["exp"]:
            raise AuthenticationError("Token expired")
        if len(_VERIFIED) >= _VERIFIED_CAPACITY:
            del _VERIFIED[next(iter(_VERIFIED))]  # the oldest entry
        _VERIFIED[key] = (dict(claims), float(claims["exp"]))
        return claims

    def _verify(self, token: str, *, surface: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise AuthenticationError("Invalid token") from exc
        # Refuse before decoding: a header naming another algorithm is an attack or a bug.
        if header.get("alg") != self.algorithm:
            raise AuthenticationError("Invalid token")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=[self.algorithm],
                audience=self.audience(surface),
                issuer=self.issuer,
                options={
                    # exp is checked by verify() against the request's clock. Not
                    # require_exp: jose then checks it too, against the process's clock.
                    "verify_exp": False,
                    "require_iat": True,
                    "require_aud": True,
                    "require_iss": True,
                    "require_sub": True,
                    "require_jti": True,
                },
            )
        except JWTError as exc:
            message = "Token expired" if "expired" in str(exc).lower() else "Invalid token"
            raise AuthenticationError(message) from exc
        # Required here, and an integer, as jose would insist if it checked exp.
        if not isinstance(claims.get("exp"), int) or isinstance(claims["exp"], bool):
            raise AuthenticationError("Invalid token")
        try:
            claims["jti"] = uuid.UUID(claims["jti"])
            claims["sub"] = uuid.UUID(claims["sub"])
        except (ValueError, TypeError, AttributeError) as exc:
            raise AuthenticationError("Invalid token") from exc
        return claims
