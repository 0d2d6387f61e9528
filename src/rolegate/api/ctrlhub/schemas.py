"""ctrl-hub wire schemas: JSON:API request and response documents.

Requests ignore members they do not know (SDKs send more than the docs show); every
failure of a known member becomes a 400 whose ``source.pointer`` is the pydantic location
(``/data/attributes/bindings/0/condition/gate``). ``data.type``/``data.id`` are plain
strings here because a wrong value is a 409, decided by the router, not a 400.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Description = Annotated[str, StringConstraints(max_length=4096)]
MAX_BINDINGS = 100
MAX_RULES = 50
MAX_MEMBERS = 1000


class CtrlHubModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- requests ------------------------------------------------------------------------


class RuleIn(CtrlHubModel):
    type: NonEmpty
    operator: Literal["has_value"]
    key: NonEmpty
    value: NonEmpty


class ConditionIn(CtrlHubModel):
    gate: Literal["AND", "OR"]
    rules: list[RuleIn] = Field(default_factory=list, max_length=MAX_RULES)


class BindingIn(CtrlHubModel):
    id: uuid.UUID | None = None
    role: NonEmpty
    condition: ConditionIn | None = None


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("must not be null; leave the attribute out to keep its value")
    return value


class GroupAttributesPatch(CtrlHubModel):
    """Every attribute optional; the ones sent are in ``model_fields_set``."""

    name: Name | None = None
    description: Description | None = None
    bindings: list[BindingIn] | None = Field(default=None, max_length=MAX_BINDINGS)

    _no_nulls = field_validator("name", "description", "bindings", mode="before")(_not_null)


class GroupAttributesCreate(CtrlHubModel):
    name: Name
    description: Description = ""
    bindings: list[BindingIn] = Field(default_factory=list, max_length=MAX_BINDINGS)


class GroupPatchData(CtrlHubModel):
    type: str
    id: str
    attributes: GroupAttributesPatch = Field(default_factory=GroupAttributesPatch)


class GroupPatchRequest(CtrlHubModel):
    data: GroupPatchData


class GroupCreateData(CtrlHubModel):
    type: str
    id: uuid.UUID | None = None  # a client-generated id is honoured
    attributes: GroupAttributesCreate


class GroupCreateRequest(CtrlHubModel):
    data: GroupCreateData


class UserIdentifierIn(CtrlHubModel):
    type: str
    id: uuid.UUID


class MembersRequest(CtrlHubModel):
    data: list[UserIdentifierIn] = Field(max_length=MAX_MEMBERS)


# --- responses -----------------------------------------------------------------------


class JsonApiObject(CtrlHubModel):
    version: str = "1.0"


class Identifier(CtrlHubModel):
    id: str
    type: str


class ToMany(CtrlHubModel):
    data: list[Identifier]


class RuleOut(CtrlHubModel):
    type: str
    operator: str
    key: str
    value: str


class ConditionOut(CtrlHubModel):
    gate: str
    rules: list[RuleOut]


class BindingOut(CtrlHubModel):
    id: str
    role: str
    condition: ConditionOut


class GroupAttributes(CtrlHubModel):
    name: str
    description: str
    bindings: list[BindingOut]


class GroupRelationships(CtrlHubModel):
    service_accounts: ToMany
    users: ToMany


class GroupResource(CtrlHubModel):
    id: str
    type: Literal["groups"] = "groups"
    attributes: GroupAttributes
    relationships: GroupRelationships


class UserAttributes(CtrlHubModel):
    email: str
    identities: list[dict[str, Any]]
    profile: dict[str, Any]


class UserMeta(CtrlHubModel):
    grants: list[str]


class UserRelationships(CtrlHubModel):
    organisations: ToMany
    teams: ToMany


class UserResource(CtrlHubModel):
    id: str
    type: Literal["users"] = "users"
    attributes: UserAttributes
    meta: UserMeta
    relationships: UserRelationships


class GroupDocument(CtrlHubModel):
    data: GroupResource
    included: list[UserResource]
    jsonapi: JsonApiObject = JsonApiObject()


class MembersDocument(CtrlHubModel):
    data: list[Identifier]
    included: list[UserResource]
    jsonapi: JsonApiObject = JsonApiObject()


class PageCounts(CtrlHubModel):
    resources: int
    pages: int


class PageRequested(CtrlHubModel):
    offset: int
    limit: int


class PageOffsets(CtrlHubModel):
    previous: int | None
    next: int | None


class Pagination(CtrlHubModel):
    """ctrl-hub's ``meta.pagination`` (``current_page``, ``counts``, ``requested``,
    ``offsets``: its API reference and sdk.kotlin's ``PaginationMeta``), with the flat
    ``offset``/``limit``/``total`` rolegate answered first kept beside them."""

    current_page: int
    counts: PageCounts
    requested: PageRequested
    offsets: PageOffsets
    offset: int
    limit: int
    total: int


class PageMeta(CtrlHubModel):
    pagination: Pagination


class PageLinks(CtrlHubModel):
    self: str
    next: str | None
    prev: str | None


class GroupListDocument(CtrlHubModel):
    data: list[GroupResource]
    included: list[UserResource]
    meta: PageMeta
    links: PageLinks
    jsonapi: JsonApiObject = JsonApiObject()


class OrgMembersDocument(CtrlHubModel):
    data: list[UserResource]
    meta: PageMeta
    links: PageLinks
    jsonapi: JsonApiObject = JsonApiObject()


class RoleAttributes(CtrlHubModel):
    name: str
    description: str
    custom: bool


class RoleResource(CtrlHubModel):
    id: str
    type: Literal["roles"] = "roles"
    attributes: RoleAttributes


class RolesDocument(CtrlHubModel):
    data: list[RoleResource]
    jsonapi: JsonApiObject = JsonApiObject()


class ErrorSource(CtrlHubModel):
    pointer: str | None = None
    header: str | None = None
    parameter: str | None = None


class ErrorObject(CtrlHubModel):
    id: str | None = None
    status: str
    title: str
    detail: str | None = None
    source: ErrorSource | None = None
    meta: dict[str, Any] | None = None


class ErrorDocument(CtrlHubModel):
    """The JSON:API error document every ctrl-hub failure is rendered in."""

    errors: list[ErrorObject]
    jsonapi: JsonApiObject = JsonApiObject()
