"""ctrl-hub's one router: every route of the surface.

The explain routes come first: the groups router ends with the catch-all
``/v3/{rest:path}`` that answers 404/405 for whatever is mounted after it.
"""

from __future__ import annotations

from fastapi import APIRouter

from rolegate.api.ctrlhub import explain_router, groups_router, oauth_router
from rolegate.api.route_table import adopt_routes

router = APIRouter()
# /oauth2/token is outside /v3, so where it sits against the catch-all does not matter.
adopt_routes(
    router,
    explain_router.router,
    groups_router.router,
    oauth_router.router,
)
