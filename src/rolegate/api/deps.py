"""What every surface's routes and auth share: the clock, the public-route marker, the
credential a route requires, and the lenient path-id read. Written once, here.

:func:`current_time` is the one place the API layer asks what time it is, so a test clock
has one thing to pin (``rolegate.context.pinned_now_var``, set by the route class).
"""

from __future__ import annotations

import datetime as dt
import uuid
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


def current_time() -> dt.datetime:
    """What time it is for the current request: the instant the route class pinned (the
    test clock, in test mode), else the wall clock in UTC."""
    pinned = pinned_now_var.get()
    return pinned if pinned is not None else dt.datetime.now(dt.UTC)


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
