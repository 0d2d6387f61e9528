"""ctrl-hub's one router: every route of the surface.

The explain routes come first: the groups router ends with the catch-all
``/v3/{rest:path}`` that answers 404/405 for whatever is mounted after it.
"""

from __future__ import annotations

from fastapi import APIRouter

from rolegate.api.ctrlhub import explain_router, groups_router

router = APIRouter()
for part in (explain_router, groups_router):
    router.include_router(part.router)
