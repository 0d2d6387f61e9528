"""Endpoint A renders its body from the membership dumped once for the ETag (orjson of
pydantic's JSON-mode values): the bytes must be the ones FastAPI rendered from the model."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from rolegate.api.infisical import groups_schemas as s

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
