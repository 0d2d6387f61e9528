"""CSP wire schemas of the effective-roles routes (rolegate's addition to CSP).

The role lists keep CSP's ``RoleBinding`` shape (``name``, ``resource``, ``expiresAt`` in
epoch seconds, ``membershipType``) so CSP tooling reads them; ``sources`` says where each
role comes from.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field

from rolegate.api.csp.schemas import CspModel


class RoleSource(CspModel):
    """One grant of a role: held directly, through a group, or by a ctrl-hub binding."""

    type: Literal["DIRECT", "GROUP", "BINDING"] = Field(
        description="DIRECT: held by the principal; GROUP: by one of the user's groups;"
        " BINDING: a ctrl-hub conditional binding (of the principal or one of its groups)"
    )
    label: str = Field(description="direct | via group <name> | binding <id> (…)")
    surface: str = Field(description="The API that made the grant: csp, ctrlhub or infisical")
    assignmentId: uuid.UUID
    groupId: uuid.UUID | None = None
    groupName: str | None = None
    bindingId: uuid.UUID | None = None
    condition: dict[str, Any] | None = Field(
        default=None, description="A binding's condition (gate and rules)"
    )
    conditionMatches: bool | None = Field(
        default=None,
        description="Whether a binding's condition holds for the user; null for a group"
        " (it depends on the member) and for grants that are not bindings",
    )
    expiresAt: int | None = Field(description="Epoch seconds; null: never expires")


class UnmatchedBinding(RoleSource):
    """A binding active at ``at`` whose condition does not hold for the user."""

    name: str


class EffectiveRoleBinding(CspModel):
    name: str
    resource: str | None = None
    expiresAt: int | None = Field(
        description="Epoch seconds when the role stops counting: the latest expiry of its"
        " grants; null when one of them never expires"
    )
    membershipType: Literal["DIRECT", "GROUP"] = Field(
        description="DIRECT when one grant is the principal's own, GROUP when every grant"
        " comes through a group"
    )
    sources: list[RoleSource]


class EffectiveOrganizationRoleBinding(EffectiveRoleBinding):
    displayName: str


class EffectiveServiceRoles(CspModel):
    serviceDefinitionId: str
    serviceRoleNames: list[str]
    serviceRoles: list[EffectiveRoleBinding]


class EffectiveRolesResponse(CspModel):
    at: int = Field(description="The moment answered for, in epoch seconds")
    organizationRoles: list[EffectiveOrganizationRoleBinding]
    customRoles: list[EffectiveRoleBinding]
    serviceRoles: list[EffectiveServiceRoles]
    unmatchedBindings: list[UnmatchedBinding] = Field(
        description="ctrl-hub bindings that would grant a role but whose condition does not"
        " hold for the user (always empty for a group)"
    )
