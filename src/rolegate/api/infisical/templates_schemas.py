"""Infisical wire schemas for project templates (endpoint C) and project creation."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from rolegate.api.infisical.common import InfisicalModel, Timestamp
from rolegate.api.infisical.permission_wire import PermissionRule

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_ROLES = 100
MAX_RULES = 200
MAX_ENVIRONMENTS = 100

TemplateName = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=SLUG_PATTERN)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=SLUG_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class TemplateRoleInput(InfisicalModel):
    name: Name
    slug: Slug
    # Validated by the core per subject, with a path per problem (see templates_mapping).
    permissions: list[Any] = Field(max_length=MAX_RULES)


class EnvironmentInput(InfisicalModel):
    name: Name
    slug: Slug
    position: int


class UpdateProjectTemplateRequest(InfisicalModel):
    """Every field optional; ``null`` is the same as absent (the value stays)."""

    name: TemplateName | None = None
    description: str | None = Field(default=None, max_length=256)
    roles: list[TemplateRoleInput] | None = Field(default=None, max_length=MAX_ROLES)
    environments: list[EnvironmentInput] | None = Field(default=None, max_length=MAX_ENVIRONMENTS)


class CreateProjectTemplateRequest(InfisicalModel):
    name: TemplateName
    description: str | None = Field(default=None, max_length=256)
    roles: list[TemplateRoleInput] = Field(default_factory=list, max_length=MAX_ROLES)
    # Absent or null: Development/dev/1, Staging/staging/2, Production/prod/3.
    environments: list[EnvironmentInput] | None = Field(default=None, max_length=MAX_ENVIRONMENTS)


class TemplateRole(InfisicalModel):
    name: str
    slug: str
    permissions: list[PermissionRule]


class TemplateEnvironment(InfisicalModel):
    name: str
    slug: str
    position: int


class ProjectTemplate(InfisicalModel):
    id: uuid.UUID
    name: str
    description: str | None
    type: str = "secret-manager"
    roles: list[TemplateRole]
    environments: list[TemplateEnvironment]
    orgId: uuid.UUID
    createdAt: Timestamp
    updatedAt: Timestamp


class ProjectTemplateResponse(InfisicalModel):
    projectTemplate: ProjectTemplate


class ProjectTemplateListResponse(InfisicalModel):
    projectTemplates: list[ProjectTemplate]


# Infisical's project types. rolegate serves secret-manager projects only (its store has
# environments, secrets' permission subjects and templates, nothing for the others), so
# the rest are refused by name rather than created as a project that cannot do its job.
PROJECT_TYPE = "secret-manager"
UPSTREAM_PROJECT_TYPES = (
    "secret-manager",
    "cert-manager",
    "kms",
    "ssh",
    "secret-scanning",
    "pam",
    "ai",
)


class CreateProjectRequest(InfisicalModel):
    projectName: Name
    projectDescription: str | None = Field(default=None, max_length=1024)
    slug: Slug | None = None
    # A template name ("default" is Infisical's built-in one); a template id also works.
    template: str | None = Field(default=None, min_length=1, max_length=64)
    type: str = PROJECT_TYPE

    @field_validator("projectDescription")
    @classmethod
    def _trim(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @field_validator("type")
    @classmethod
    def _supported_type(cls, value: str) -> str:
        if value == PROJECT_TYPE:
            return value
        if value in UPSTREAM_PROJECT_TYPES:
            raise ValueError(
                f'Project type "{value}" is not supported: rolegate serves'
                f' "{PROJECT_TYPE}" projects only'
            )
        raise ValueError(
            f"Invalid project type; expected one of: {', '.join(UPSTREAM_PROJECT_TYPES)}"
        )


class ProjectEnvironment(InfisicalModel):
    id: uuid.UUID
    name: str
    slug: str
    position: int


class ProjectRole(InfisicalModel):
    id: uuid.UUID
    name: str
    slug: str
    permissions: list[PermissionRule]


class Project(InfisicalModel):
    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    type: str
    orgId: uuid.UUID
    template: str
    environments: list[ProjectEnvironment]
    roles: list[ProjectRole]
    createdAt: Timestamp
    updatedAt: Timestamp


class CreateProjectResponse(InfisicalModel):
    project: Project


class ProjectWithEnvironments(InfisicalModel):
    """``GET /api/v2/workspace/{slug}``: the project itself, not wrapped (as upstream)."""

    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    type: str
    orgId: uuid.UUID
    environments: list[ProjectEnvironment]
    createdAt: Timestamp
    updatedAt: Timestamp
