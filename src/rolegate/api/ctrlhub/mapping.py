"""ctrl-hub request documents → core specs (responses are built in documents.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from rolegate.api.ctrlhub import schemas as s
from rolegate.api.ctrlhub.errors import DocumentError
from rolegate.rbac.ctrlhub.views import BindingSpec, GroupPatch

GROUPS = "groups"
USERS = "users"


def check_type(actual: str, expected: str, pointer: str) -> None:
    """JSON:API: a resource object of the wrong type is a 409 Conflict."""
    if actual != expected:
        raise DocumentError(
            409,
            f"Resource type '{actual}' does not match this endpoint's type '{expected}'",
            pointer,
        )


def check_id(actual: str, expected: uuid.UUID) -> None:
    """JSON:API: ``data.id`` must be the id of the resource in the URL, else 409."""
    try:
        same = uuid.UUID(actual) == expected
    except ValueError:
        same = False
    if not same:
        raise DocumentError(
            409,
            f"data.id '{actual}' does not match the group id in the URL ({expected})",
            "/data/id",
        )


def bindings(items: Sequence[s.BindingIn]) -> list[BindingSpec]:
    return [
        BindingSpec(
            role=item.role,
            condition=item.condition.model_dump() if item.condition is not None else None,
            id=item.id,
        )
        for item in items
    ]


def group_patch(body: s.GroupPatchRequest, group_id: uuid.UUID) -> GroupPatch:
    check_type(body.data.type, GROUPS, "/data/type")
    check_id(body.data.id, group_id)
    attributes = body.data.attributes
    sent = attributes.model_fields_set
    return GroupPatch(
        name=attributes.name if "name" in sent else None,
        description=attributes.description if "description" in sent else None,
        bindings=bindings(attributes.bindings)
        if "bindings" in sent and attributes.bindings is not None
        else None,
    )


def member_ids(body: s.MembersRequest) -> list[uuid.UUID]:
    for index, item in enumerate(body.data):
        check_type(item.type, USERS, f"/data/{index}/type")
    return [item.id for item in body.data]
