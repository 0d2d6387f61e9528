"""Endpoint A renders its body from the membership dumped once for the ETag (orjson of
pydantic's JSON-mode values): the bytes must be the ones FastAPI rendered from the model.
Its GET and the project's group lists render memberships as documents built without the
models: they must be the models' dumps, key for key and in order."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from rolegate.api.infisical import groups_mapping as mapping
from rolegate.api.infisical import groups_schemas as s
from rolegate.rbac.infisical.project_groups_repository import (
    AssignmentRow,
    GroupRow,
    MembershipRow,
    RoleRow,
)
from rolegate.rbac.infisical.views import GroupMembershipView

# Every ASCII character (controls, quotes, backslash, DEL), then what JSON encoders treat
# differently: non-ASCII, the JavaScript line terminators, a BOM, astral characters.
ASCII = "".join(chr(c) for c in range(128))
STRINGS = [
    ASCII,
    "é中\u2028\u2029\ufeff\uffff😀\U0010ffff",
    "",
    '"</script>\\u0000',
]


def membership(text: str) -> s.GroupMembership:
    when = dt.datetime(2026, 11, 21, 17, 31, 39, 123456, tzinfo=dt.UTC)
    rows = [
        s.ProjectRoleRow(
            id=uuid.uuid4(),
            role=text or "viewer",
            customRoleId=None,
            customRoleSlug=None,
            projectMembershipId=uuid.uuid4(),
            isTemporary=False,
            temporaryMode=None,
            temporaryRange=None,
            temporaryAccessStartTime=None,
            temporaryAccessEndTime=None,
            createdAt=when,
            updatedAt=when,
        ),
        s.ProjectRoleRow(
            id=uuid.uuid4(),
            role="custom",
            customRoleId=uuid.uuid4(),
            customRoleSlug=text,
            projectMembershipId=uuid.uuid4(),
            isTemporary=True,
            temporaryMode="relative",
            temporaryRange=text,
            temporaryAccessStartTime=when,
            temporaryAccessEndTime=when + dt.timedelta(hours=1),
            createdAt=when,
            updatedAt=when,
        ),
    ]
    group = s.GroupSummary(id=uuid.uuid4(), name=text, slug=text)
    return s.GroupMembership(
        id=uuid.uuid4(),
        groupId=group.id,
        group=group,
        roles=rows,
        createdAt=when,
        updatedAt=when,
    )


@pytest.mark.parametrize("text", STRINGS)
def test_patch_body_is_what_fastapi_rendered(text: str) -> None:
    model = membership(text)
    dumped = model.model_dump(mode="json", by_alias=True)
    # FastAPI renders a returned model with pydantic's JSON serializer.
    rendered = s.UpdateProjectGroupResponse(roles=model.roles).model_dump_json(by_alias=True)
    assert orjson.dumps({"roles": dumped["roles"]}) == rendered.encode()


def membership_view(text: str) -> GroupMembershipView:
    # Microseconds and a zone other than UTC: both are the timestamp format's business.
    when = dt.datetime(2026, 11, 21, 19, 31, 39, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    membership_id = uuid.uuid4()

    def row(role_key: str, role_id: uuid.UUID | None, temporary: bool) -> AssignmentRow:
        return AssignmentRow(
            id=uuid.uuid4(),
            role_key=role_key,
            role_id=role_id,
            project_membership_id=membership_id,
            is_temporary=temporary,
            temporary_mode="relative" if temporary else None,
            temporary_range=text if temporary else None,
            starts_at=when if temporary else None,
            ends_at=when + dt.timedelta(hours=1) if temporary else None,
            created_at=when,
            updated_at=when + dt.timedelta(microseconds=999),
        )

    custom = RoleRow(uuid.uuid4(), text, [{"subject": "secrets", "action": ["read"]}])
    return GroupMembershipView(
        membership=MembershipRow(membership_id, when, when),
        group=GroupRow(uuid.uuid4(), text, text),
        roles=[
            (row(text or "viewer", None, False), None),
            (row("custom", custom.id, True), custom),
        ],
    )


@pytest.mark.parametrize("text", STRINGS)
def test_documents_are_what_the_models_dump(text: str) -> None:
    view = membership_view(text)
    project_id = uuid.uuid4()
    model = mapping.group_membership(view)
    # Bytes, not dicts: the key order is the wire's too.
    assert orjson.dumps(mapping.group_membership_document(view)) == orjson.dumps(
        model.model_dump(mode="json", by_alias=True)
    )
    assert orjson.dumps({"groupMembership": mapping.group_membership_document(view)}) == (
        s.GroupMembershipResponse(groupMembership=model).model_dump_json(by_alias=True).encode()
    )
    project_model = mapping.project_group_membership(view, project_id)
    assert orjson.dumps(mapping.project_group_membership_document(view, project_id)) == (
        project_model.model_dump_json(by_alias=True).encode()
    )


def test_a_membership_without_roles_is_documented_like_its_model() -> None:
    view = membership_view("g")
    bare = GroupMembershipView(membership=view.membership, group=view.group, roles=[])
    assert orjson.dumps(mapping.group_membership_document(bare)) == (
        mapping.group_membership(bare).model_dump_json(by_alias=True).encode()
    )
