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

router = APIRouter()
for part in (
    auth_router,
    groups_router,
    memberships_router,
    explain_router,
    privileges_router,
    privileges_v2_router,
    templates_router,
    audit_router,
):
    router.include_router(part.router)
