"""ctrl-hub wire schemas of the binding explanations (rolegate's addition to ctrl-hub).

Primary data are ``bindings`` resources — the binding as the group documents show it
(``role``, ``condition``) with a to-one ``group`` relationship — and each carries its
verdict for the user in ``meta``; the groups are ``included`` (sparse: their name).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rolegate.api.ctrlhub.schemas import (
    ConditionOut,
    CtrlHubModel,
    Identifier,
    JsonApiObject,
)


class ToOne(CtrlHubModel):
    data: Identifier | None


class BindingAttributes(CtrlHubModel):
    role: str
    condition: ConditionOut


class BindingRelationships(CtrlHubModel):
    group: ToOne = Field(description="The role group the binding belongs to")


class RuleVerdict(CtrlHubModel):
    index: int = Field(description="Position of the rule in attributes.condition.rules")
    matched: bool


class BindingMeta(CtrlHubModel):
    applies: bool = Field(
        description="The binding gives its role to the user at `at`: the user is in the"
        " group, the binding is inside its window and its condition holds"
    )
    reason: str = Field(description="Why it applies or not, in words")
    member: bool
    active: bool
    condition_holds: bool
    rules: list[RuleVerdict]
    starts_at: str | None = None
    ends_at: str | None = None


class BindingResource(CtrlHubModel):
    id: str
    type: Literal["bindings"] = "bindings"
    attributes: BindingAttributes
    relationships: BindingRelationships
    meta: BindingMeta


class GroupNameAttributes(CtrlHubModel):
    name: str


class GroupNameResource(CtrlHubModel):
    """A role group in ``included``, sparse: fetch /v3/orgs/{org_id}/iam/groups/{id} for more."""

    id: str
    type: Literal["groups"] = "groups"
    attributes: GroupNameAttributes


class ExplainedUser(CtrlHubModel):
    id: str
    email: str


class ExplainMeta(CtrlHubModel):
    at: str = Field(description="The moment judged, RFC 3339 UTC")
    user: ExplainedUser
    grants: list[str] = Field(
        description="The role names the applying bindings in `data` give the user, once each"
    )


class BindingsExplainDocument(CtrlHubModel):
    data: list[BindingResource]
    included: list[GroupNameResource]
    meta: ExplainMeta
    jsonapi: JsonApiObject = JsonApiObject()
