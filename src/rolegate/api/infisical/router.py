"""Infisical's one router: every route of the surface, in the order they must match."""

from __future__ import annotations

from fastapi import APIRouter

from rolegate.api.infisical import (
    audit_router,
    auth_router,
    explain_router,
    groups_router,
    memberships_router,
    privileges_router,
    privileges_v2_router,
    templates_router,
)
from rolegate.api.route_table import adopt_routes

router = APIRouter()
adopt_routes(
    router,
    auth_router.router,
    groups_router.router,
    memberships_router.router,
    explain_router.router,
    privileges_router.router,
    privileges_v2_router.router,
    templates_router.router,
    audit_router.router,
)
