"""Infisical wire schemas for project groups (endpoint A) and auth."""

from __future__ import annotations

import uuid

from pydantic import Field

from rolegate.api.infisical.common import InfisicalModel, TemporaryFields, Timestamp

MAX_ROLES = 100


class ProjectRoleInput(TemporaryFields):
    role: str = Field(min_length=1, max_length=255)


class UpdateProjectGroupRequest(InfisicalModel):
    roles: list[ProjectRoleInput] = Field(min_length=1, max_length=MAX_ROLES)


class AddProjectGroupRequest(InfisicalModel):
    """Infisical's add-group body: ``roles`` when given, else the single ``role``.

    Terraform sends ``{"GroupIdOrName", "projectId", "roles": [...]}``; the path's
    values win over the body's copies, which are ignored.
    """

    role: str = Field(default="no-access", min_length=1, max_length=255)
    roles: list[ProjectRoleInput] | None = Field(default=None, min_length=1, max_length=MAX_ROLES)


class ProjectRoleRow(InfisicalModel):
    id: uuid.UUID
    role: str
    customRoleId: uuid.UUID | None
    customRoleSlug: str | None
    projectMembershipId: uuid.UUID
    isTemporary: bool
    temporaryMode: str | None
    temporaryRange: str | None
    temporaryAccessStartTime: Timestamp | None
    temporaryAccessEndTime: Timestamp | None
    createdAt: Timestamp
    updatedAt: Timestamp


class UpdateProjectGroupResponse(InfisicalModel):
    roles: list[ProjectRoleRow]


class GroupSummary(InfisicalModel):
    id: uuid.UUID
    name: str
    slug: str


class GroupMembership(InfisicalModel):
    id: uuid.UUID
    groupId: uuid.UUID
    group: GroupSummary
    roles: list[ProjectRoleRow]
    createdAt: Timestamp
    updatedAt: Timestamp


class GroupMembershipResponse(InfisicalModel):
    groupMembership: GroupMembership


class ProjectGroupMembership(GroupMembership):
    """The membership API's form (``/api/v1/projects/…/memberships/groups``): with projectId."""

    projectId: uuid.UUID


class ProjectGroupMembershipResponse(InfisicalModel):
    groupMembership: ProjectGroupMembership


class ProjectGroupMembershipListResponse(InfisicalModel):
    groupMemberships: list[ProjectGroupMembership]


class GroupMembershipListResponse(InfisicalModel):
    groupMemberships: list[GroupMembership]


class UniversalAuthLoginRequest(InfisicalModel):
    clientId: str = Field(min_length=1, max_length=255)
    clientSecret: str = Field(min_length=1, max_length=1024)


class UniversalAuthLoginResponse(InfisicalModel):
    accessToken: str
    expiresIn: int
    accessTokenMaxTTL: int
    tokenType: str = "Bearer"


class RevokeTokenRequest(InfisicalModel):
    accessToken: str = Field(min_length=1, max_length=8192)


class RenewTokenRequest(InfisicalModel):
    accessToken: str = Field(min_length=1, max_length=8192)


class RevokeTokenResponse(InfisicalModel):
    message: str
