"""What every surface's routes and auth share: the clock, the public-route marker, the
credential a route requires, and the lenient path-id read. Written once, here.

:func:`current_time` is the one place the API layer asks what time it is, so a test clock (or
anything else that must move time for a request) has one thing to pin.
"""

from __future__ import annotations

import datetime as dt
import uuid
from contextvars import Token
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.api.moments import Moment
from rolegate.api.routing import get_session
from rolegate.context import pinned_now_var
from rolegate.rbac.errors import AuthenticationError

#: ``openapi_extra`` of a route that needs no credential (login, token exchange, revoke).
PUBLIC: dict[str, Any] = {"x-rolegate-public": True}


def is_public(route: APIRoute) -> bool:
    return bool(route.openapi_extra and route.openapi_extra.get("x-rolegate-public"))


# A request may pin "now" for everything it does (a test clock does: ``pin_now``); unpinned,
# "now" is the wall clock in UTC. A ContextVar, so a pin never leaks to another request.
_pinned_now = pinned_now_var


def current_time() -> dt.datetime:
    """What time it is for the current request: the pinned instant, else the wall clock."""
    pinned = _pinned_now.get()
    return pinned if pinned is not None else dt.datetime.now(dt.UTC)


def pin_now(instant: dt.datetime | None) -> Token[dt.datetime | None]:
    """Pin :func:`current_time` for the rest of this context; reset with :func:`unpin_now`."""
    return _pinned_now.set(instant)


def unpin_now(token: Token[dt.datetime | None]) -> None:
    _pinned_now.reset(token)


#: The request's database session (opened by the route class) as a route parameter.
Session = Annotated[AsyncSession, Depends(get_session)]
#: An ``?at=`` moment (epoch seconds or RFC 3339); None means now.
At = Annotated[Moment, Query()]


def required(token: str | None, message: str) -> str:
    """The presented credential, or the 401 a surface's precheck normally answers first.

    The route classes refuse a missing credential before the body is read; this keeps a
    dependency correct when it is used outside them (another dependency, a test).
    """
    if token is None:
        raise AuthenticationError(message)
    return token


def path_uuid(request: Request, name: str) -> uuid.UUID | None:
    """A path parameter read leniently: a malformed id is ``None``, so the auth check that
    runs first still answers a dead token with 401 and the route's own validation answers
    the bad id."""
    try:
        return uuid.UUID(str(request.path_params.get(name)))
    except ValueError:
        return None
