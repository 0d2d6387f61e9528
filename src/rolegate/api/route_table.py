"""Put routes into a router as they are, instead of ``include_router``.

FastAPI 0.165's ``include_router`` keeps the included router behind a wrapper and builds
every route again for each inclusion context, lazily: once when an app includes it and
again on the app's first request, a pydantic ``TypeAdapter`` per parameter (~740 here),
0.4-0.6 s of CPU in each worker on the way to ``/readyz``. Each request also matched
through two levels of wrappers, which re-check the routers' versions. A route made by
a router's decorator is already complete (the router's prefix, dependencies, responses,
tags and route class are applied when it is declared, in the parent before the fork),
so the app can take the very same objects: matching is then Starlette's plain loop.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute


def adopt_routes(target: APIRouter, *sources: APIRouter) -> None:
    """Append every route of ``sources`` to ``target``, in order, without rebuilding."""
    for source in sources:
        for route in source.routes:
            # Only declared routes are complete; a router included into a source would
            # need its inclusion context applied, which is what include_router does.
            if not isinstance(route, APIRoute):
                raise TypeError(f"{route!r} is not a declared route; adopt its router instead")
            target.routes.append(route)
