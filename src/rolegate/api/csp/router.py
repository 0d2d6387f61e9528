"""VMware CSP's one router: every route of the surface."""

from __future__ import annotations

from fastapi import APIRouter

from rolegate.api.csp import auth_router, explain_router, group_roles_router
from rolegate.api.route_table import adopt_routes

router = APIRouter()
adopt_routes(
    router,
    auth_router.router,
    group_roles_router.router,
    explain_router.router,
)
