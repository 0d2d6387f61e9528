"""CSP wire schemas: group roles (endpoint D), groups, and the API-token exchange."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

MAX_ROLES = 200


class CspModel(BaseModel):
    """Base of every CSP wire schema: camelCase as CSP sends it, unknown keys ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# --- requests -----------------------------------------------------------------------


class RoleBindingInput(CspModel):
    """A role to add or update. The audit fields are accepted and ignored (server-set)."""

    name: str = Field(min_length=1, max_length=255)
    resource: str | None = Field(default=None, max_length=2048)
    expiresAt: StrictInt | None = Field(
        default=None, description="Epoch seconds; absent or null: never expires"
    )
    membershipType: Literal["DIRECT", "GROUP", "NESTED"] | None = Field(
        default=None, description="Accepted and ignored: a group's own roles are DIRECT"
    )
    createdBy: Any = None
    createdDate: Any = None
    lastUpdatedBy: Any = None
    lastUpdatedDate: Any = None


class RoleNameInput(CspModel):
    name: str = Field(min_length=1, max_length=255)
    resource: str | None = Field(default=None, description="Ignored: remove works by name")


class UpdateRolesRequest(CspModel):
    roleNamesToAdd: list[str] | None = Field(
        default=None,
        max_length=MAX_ROLES,
        json_schema_extra={"deprecated": True},
        description="Use rolesToAdd",
    )
    roleNamesToRemove: list[str] | None = Field(
        default=None,
        max_length=MAX_ROLES,
        json_schema_extra={"deprecated": True},
        description="Use rolesToRemove",
    )
    rolesToAdd: list[RoleBindingInput] | None = Field(default=None, max_length=MAX_ROLES)
    rolesToRemove: list[RoleNameInput] | None = Field(default=None, max_length=MAX_ROLES)
    rolesToUpdate: list[RoleBindingInput] | None = Field(default=None, max_length=MAX_ROLES)


class UpdateServiceRolesRequest(UpdateRolesRequest):
    serviceDefinitionId: str = Field(min_length=1, max_length=255)


class UpdateGroupRolesRequest(CspModel):
    customRoles: UpdateRolesRequest | None = None
    organizationRoles: UpdateRolesRequest | None = None
    serviceRoles: list[UpdateServiceRolesRequest] | None = Field(default=None, max_length=100)
    notifyUsersInGroups: bool | None = False


class CreateGroupRequest(CspModel):
    displayName: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=4000)


# --- responses ----------------------------------------------------------------------


class RoleBinding(CspModel):
    name: str
    resource: str | None = None
    expiresAt: int | None = Field(description="Epoch seconds; null: never expires")
    membershipType: Literal["DIRECT", "GROUP", "NESTED"] = "DIRECT"
    createdBy: str | None = None
    createdDate: str | None = Field(default=None, description="Epoch seconds, as a string")
    lastUpdatedBy: str | None = None
    lastUpdatedDate: str | None = Field(default=None, description="Epoch seconds, as a string")


class OrganizationRoleBinding(RoleBinding):
    displayName: str


class ServiceRoles(CspModel):
    serviceDefinitionId: str
    serviceRoleNames: list[str]
    serviceRoles: list[RoleBinding]


class GroupRolesResponse(CspModel):
    customRoles: list[RoleBinding]
    organizationRoles: list[OrganizationRoleBinding]
    serviceRoles: list[ServiceRoles]


class GroupSummary(CspModel):
    id: uuid.UUID
    displayName: str
    description: str
    domain: str
    groupType: Literal["USER_GROUP"] = "USER_GROUP"
    ownerOrgId: uuid.UUID
    usersCount: int


class GroupResponse(GroupSummary):
    customRoles: list[RoleBinding]
    organizationRoles: list[OrganizationRoleBinding]
    serviceRoles: list[ServiceRoles]


class GroupsPage(CspModel):
    results: list[GroupSummary]
    totalResults: int
    nextLink: str | None
    prevLink: str | None


class GroupUser(CspModel):
    """A member of a group, as CSP lists one (``GET …/groups/{groupId}/users``)."""

    userId: uuid.UUID
    username: str = Field(description="The e-mail: rolegate users sign in by e-mail")
    email: str
    firstName: str | None = Field(description="profile.personal.first_name, null when unset")
    lastName: str | None = Field(description="profile.personal.last_name, null when unset")
    domain: str = Field(description="The e-mail's domain")
    acct: str = Field(description="The e-mail, as in the access token's acct claim")


class GroupUsersPage(CspModel):
    results: list[GroupUser]
    totalResults: int
    nextLink: str | None
    prevLink: str | None


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    id_token: str
    refresh_token: str | None
    scope: str
