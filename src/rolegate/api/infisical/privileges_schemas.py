"""Infisical wire schemas for identity additional privileges (endpoint B and siblings).

Permission rules arrive as ``Any`` here on purpose: their validation (three input forms,
the permission table, a path per problem) is the core's, done in
:mod:`rolegate.api.infisical.privileges_mapping` so that every issue carries its path.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from rolegate.api.infisical.common import (
    InfisicalModel,
    TemporaryFields,
    Timestamp,
    check_range,
    parse_timestamp,
)
from rolegate.api.infisical.permission_wire import PermissionRule

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_RULES = 200


def _slug_field(*, default: Any = ...) -> Any:
    return Field(default, min_length=1, max_length=60, pattern=SLUG_PATTERN)


class PermissionInput(InfisicalModel):
    """``permissions`` (packed or unpacked) or Terraform's ``privilegePermission``."""

    permissions: list[Any] | None = Field(default=None, max_length=MAX_RULES)
    privilegePermission: dict[str, Any] | None = None


class PrivilegeDetails(TemporaryFields, PermissionInput):
    slug: str | None = _slug_field(default=None)

    @model_validator(mode="after")
    def _window_needs_its_flag(self) -> PrivilegeDetails:
        # Without isTemporary we could neither start nor clear a window: say so rather
        # than silently ignore the fields (empty values, as Terraform sends, are fine).
        given = (self.temporaryMode, self.temporaryRange, self.temporaryAccessStartTime)
        if "isTemporary" not in self.model_fields_set and any(v not in (None, "") for v in given):
            raise ValueError(
                "isTemporary is required when temporaryMode, temporaryRange or"
                " temporaryAccessStartTime is given"
            )
        return self


class UpdateIdentityPrivilegeRequest(InfisicalModel):
    privilegeSlug: str = Field(min_length=1, max_length=255)
    identityId: uuid.UUID
    projectSlug: str = Field(min_length=1, max_length=255)
    privilegeDetails: PrivilegeDetails


class CreatePermanentPrivilegeRequest(PermissionInput):
    identityId: uuid.UUID
    projectSlug: str = Field(min_length=1, max_length=255)
    slug: str | None = _slug_field(default=None)


class CreateTemporaryPrivilegeRequest(CreatePermanentPrivilegeRequest):
    temporaryMode: Literal["relative"]
    temporaryRange: str
    temporaryAccessStartTime: dt.datetime

    @field_validator("temporaryRange")
    @classmethod
    def _range(cls, value: str) -> str:
        return check_range(value)

    @field_validator("temporaryAccessStartTime", mode="before")
    @classmethod
    def _start(cls, value: Any) -> dt.datetime:
        return parse_timestamp(value)


class DeletePrivilegeRequest(InfisicalModel):
    """DELETE takes these in the body (Infisical) or as query parameters."""

    privilegeSlug: str | None = Field(default=None, min_length=1, max_length=255)
    identityId: uuid.UUID | None = None
    projectSlug: str | None = Field(default=None, min_length=1, max_length=255)


class IdentityPrivilege(InfisicalModel):
    id: uuid.UUID
    slug: str
    projectMembershipId: uuid.UUID
    isTemporary: bool
    temporaryMode: str | None
    temporaryRange: str | None
    temporaryAccessStartTime: Timestamp | None
    temporaryAccessEndTime: Timestamp | None
    permissions: list[PermissionRule]
    createdAt: Timestamp
    updatedAt: Timestamp


class IdentityPrivilegeResponse(InfisicalModel):
    privilege: IdentityPrivilege


class IdentityPrivilegeListResponse(InfisicalModel):
    privileges: list[IdentityPrivilege]


class PrivilegeType(TemporaryFields):
    """V2's ``type``: ``isTemporary`` and, when true, the relative window's fields."""

    isTemporary: bool


class CreatePrivilegeV2Request(InfisicalModel):
    identityId: uuid.UUID
    projectId: uuid.UUID
    slug: str | None = _slug_field(default=None)
    permissions: list[Any] = Field(max_length=MAX_RULES)
    type: PrivilegeType


class UpdatePrivilegeV2Request(InfisicalModel):
    """Partial, like V1's PATCH: an absent ``slug``, ``permissions`` or ``type`` stays."""

    slug: str | None = _slug_field(default=None)
    permissions: list[Any] | None = Field(default=None, max_length=MAX_RULES)
    type: PrivilegeType | None = None


class IdentityPrivilegeV2(IdentityPrivilege):
    identityId: uuid.UUID
    projectId: uuid.UUID


class IdentityPrivilegeV2Response(InfisicalModel):
    privilege: IdentityPrivilegeV2


class IdentityPrivilegeV2ListResponse(InfisicalModel):
    privileges: list[IdentityPrivilegeV2]
