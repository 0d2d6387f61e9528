"""Infisical wire schemas for effective permissions and the permission check."""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from rolegate.api.infisical.common import InfisicalModel, Timestamp

PRINCIPAL_KEYS = ("identityId", "userId", "groupId")

# RFC 3339 date-time: a zone (Z or ±hh:mm) is required; pydantic alone would also take
# bare Unix timestamps.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class PrincipalRef(InfisicalModel):
    """Exactly one of ``identityId``, ``userId`` or ``groupId``."""

    identityId: uuid.UUID | None = None
    userId: uuid.UUID | None = None
    groupId: uuid.UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PrincipalRef:
        given = [key for key in PRINCIPAL_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError("Give exactly one of identityId, userId or groupId")
        return self


class PermissionCheckRequest(InfisicalModel):
    principal: PrincipalRef
    action: str = Field(min_length=1, max_length=64)
    subject: str = Field(min_length=1, max_length=64)
    # Absent: "may the principal do this at all?"; given: about one resource, naming
    # every field the subject's conditions can name (secretTags is a list).
    fields: dict[str, str | list[str]] | None = None
    at: str | None = Field(default=None, description="RFC 3339 moment; default now")

    @field_validator("at")
    @classmethod
    def _rfc3339(cls, value: str | None) -> str | None:
        if value is not None and not RFC3339.match(value):
            raise ValueError("at must be an RFC 3339 timestamp with a time zone")
        return value


class ExplainGroup(InfisicalModel):
    id: uuid.UUID
    name: str
    slug: str


class ExplainPrincipal(InfisicalModel):
    type: Literal["identity", "user", "group"]
    id: uuid.UUID
    name: str


class Window(InfisicalModel):
    start: Timestamp | None
    end: Timestamp | None


class PermissionSource(InfisicalModel):
    type: Literal["role", "group-role", "privilege"]
    id: uuid.UUID = Field(description="The role assignment or additional privilege")
    label: str = Field(examples=["group Engineering's role member"])
    role: str | None = Field(description="Role slug (built-in or custom)")
    privilegeSlug: str | None
    group: ExplainGroup | None
    isTemporary: bool
    window: Window
    active: bool


class PermissionRule(InfisicalModel):
    subject: str
    action: list[str]
    conditions: dict[str, Any] | None = None
    inverted: bool


class RuleOverride(InfisicalModel):
    actions: list[str] = Field(description="The allow rule's actions this deny may take away")
    fully: bool = Field(description="Every resource the allow rule covers is denied")
    rule: PermissionRule
    source: PermissionSource


class ExplainedRule(InfisicalModel):
    rule: PermissionRule
    source: PermissionSource
    window: Window
    active: bool
    overridden: Literal["fully", "partially"] | None
    overriddenBy: list[RuleOverride]


class EffectivePermissionsResponse(InfisicalModel):
    projectId: uuid.UUID
    principal: ExplainPrincipal
    at: Timestamp
    sources: list[PermissionSource]
    rules: list[ExplainedRule]
    permissions: list[PermissionRule] = Field(
        description="The rules in force at `at` (deny rules included), as evaluation uses them"
    )


class CheckReason(InfisicalModel):
    effect: Literal["allow", "deny"]
    rule: PermissionRule
    source: PermissionSource


class PermissionCheckResponse(InfisicalModel):
    allowed: bool
    because: list[CheckReason]
    at: Timestamp
