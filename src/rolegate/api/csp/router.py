"""VMware CSP's one router: every route of the surface."""

from __future__ import annotations

from fastapi import APIRouter

from rolegate.api.csp import auth_router, explain_router, group_roles_router

router = APIRouter()
for part in (auth_router, group_roles_router, explain_router):
    router.include_router(part.router)
