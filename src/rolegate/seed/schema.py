"""The seed file format (see ``shared/contract/seed.example.yaml``), validated up front.

Unknown keys are errors here (unlike the wire formats): a typo in a fixture should fail
loudly, naming the entry, before anything is written.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class SeedModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedRoleGrant(SeedModel):
    role: str = Field(min_length=1)
    isTemporary: bool = False
    temporaryMode: Literal["relative"] | None = None
    temporaryRange: str | None = None
    temporaryAccessStartTime: str | None = None


class SeedPrivilege(SeedModel):
    slug: str = Field(min_length=1, max_length=60, pattern=SLUG)
    permissions: list[Any] = Field(default_factory=list)
    isTemporary: bool = False
    temporaryMode: Literal["relative"] | None = None
    temporaryRange: str | None = None
    temporaryAccessStartTime: str | None = None


class SeedUser(SeedModel):
    id: uuid.UUID | None = None
    email: str = Field(min_length=3, max_length=320)
    org_roles: list[str] = Field(default_factory=list)
    csp_api_tokens: list[str] = Field(default_factory=list)
    session_tokens: list[str] = Field(default_factory=list)
    profile: dict[str, Any] = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)


class SeedUniversalAuth(SeedModel):
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    access_token_ttl: int = Field(default=7200, gt=0)
    access_token_max_ttl: int = Field(default=2592000, gt=0)


class SeedIdentity(SeedModel):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1)
    org_role: Literal["admin", "member", "no-access"] = "no-access"
    universal_auth: SeedUniversalAuth | None = None


class SeedClientCredentials(SeedModel):
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str = Field(min_length=1, max_length=1024)


class SeedServiceAccount(SeedModel):
    """A ctrl-hub service account; it authenticates at ``POST /oauth2/token``."""

    id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=255)
    description: str = ""
    enabled: bool = True
    org_roles: list[str] = Field(default_factory=list)  # fixed catalogue roles only
    client_credentials: SeedClientCredentials


class SeedGroup(SeedModel):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1)
    slug: str = Field(min_length=1, pattern=SLUG)
    description: str = ""
    members: list[str] = Field(default_factory=list)
    org_roles: list[str] = Field(default_factory=list)
    custom_roles: list[str] = Field(default_factory=list)


class SeedServiceDefinition(SeedModel):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1)
    roles: list[str] = Field(default_factory=list)


class SeedCustomRole(SeedModel):
    name: str = Field(min_length=1)
    description: str = ""
    permissions: list[Any] = Field(default_factory=list)


class SeedEnvironment(SeedModel):
    name: str = Field(min_length=1)
    slug: str = Field(min_length=1, pattern=SLUG)
    position: int | None = Field(default=None, ge=1)


class SeedProjectRole(SeedModel):
    slug: str = Field(min_length=1, pattern=SLUG)
    name: str = Field(min_length=1)
    description: str = ""
    permissions: list[Any] = Field(default_factory=list)


class SeedProjectGroup(SeedModel):
    group: str = Field(min_length=1)
    roles: list[SeedRoleGrant] = Field(default_factory=lambda: [SeedRoleGrant(role="no-access")])


class SeedProjectIdentity(SeedModel):
    identity: str = Field(min_length=1)
    roles: list[SeedRoleGrant] = Field(default_factory=lambda: [SeedRoleGrant(role="no-access")])
    privileges: list[SeedPrivilege] = Field(default_factory=list)


class SeedProjectUser(SeedModel):
    user: str = Field(min_length=1)
    roles: list[SeedRoleGrant] = Field(default_factory=lambda: [SeedRoleGrant(role="no-access")])


class SeedProject(SeedModel):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1)
    slug: str = Field(min_length=1, pattern=SLUG)
    environments: list[SeedEnvironment] | None = None
    roles: list[SeedProjectRole] = Field(default_factory=list)
    groups: list[SeedProjectGroup] = Field(default_factory=list)
    identities: list[SeedProjectIdentity] = Field(default_factory=list)
    users: list[SeedProjectUser] = Field(default_factory=list)


class SeedTemplateRole(SeedModel):
    name: str = Field(min_length=1)
    slug: str = Field(min_length=1, pattern=SLUG)
    permissions: list[Any] = Field(default_factory=list)


class SeedProjectTemplate(SeedModel):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=32, pattern=SLUG)
    description: str | None = None
    roles: list[SeedTemplateRole] = Field(default_factory=list)
    environments: list[SeedEnvironment] | None = None


class SeedOrganization(SeedModel):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1)
    slug: str = Field(min_length=1, pattern=SLUG)
    users: list[SeedUser] = Field(default_factory=list)
    identities: list[SeedIdentity] = Field(default_factory=list)
    service_accounts: list[SeedServiceAccount] = Field(default_factory=list)
    groups: list[SeedGroup] = Field(default_factory=list)
    service_definitions: list[SeedServiceDefinition] = Field(default_factory=list)
    custom_roles: list[SeedCustomRole] = Field(default_factory=list)
    projects: list[SeedProject] = Field(default_factory=list)
    project_templates: list[SeedProjectTemplate] = Field(default_factory=list)


class SeedFile(SeedModel):
    organizations: list[SeedOrganization] = Field(default_factory=list)
