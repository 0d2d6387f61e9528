"""Endpoint D: PATCH /csp/gateway/am/api/orgs/{orgId}/groups/{groupId}/roles, read back
through GET …/roles. Every refused request is followed by a read-back proving nothing
changed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import AuditEvent, RoleAssignment
from tests.api.csp.conftest import (
    CONSOLE,
    EMPTY_GROUP,
    ENGINEERING,
    GROUP_OWNER,
    LAPSED,
    ORG,
    OTHER_GROUP,
    OTHER_ORG,
    OTHER_SERVICE,
    OWNER,
    Tokens,
    assert_csp_error,
    csp,
    names,
    read_roles,
    roles_url,
)

NOWHERE = "00000000-0000-4000-8000-00000000dead"  # a well-formed id nothing has
FAR = 3609941597  # the seed doc's expiresAt (2084)
SEEDED = {
    "organizationRoles": ["org_member", "support_user"],
    "customRoles": ["auditor", "viewer-plus"],
    "serviceRoles": {},
}


def soon(seconds: int = 3600) -> int:
    return int(dt.datetime.now(dt.UTC).timestamp()) + seconds


def seed_doc_binding(name: str, **overrides: Any) -> dict[str, Any]:
    """A RoleBinding exactly as the seed doc shows it, audit fields and all."""
    return {
        "createdBy": "string",
        "createdDate": "string",
        "expiresAt": FAR,
        "lastUpdatedBy": "string",
        "lastUpdatedDate": "string",
        "membershipType": "DIRECT",
        "name": name,
        "resource": "string",
        **overrides,
    }


async def patch(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], group: str = ENGINEERING
) -> httpx.Response:
    return await client.patch(roles_url(ORG, group), json=body, headers=csp(token))


async def assert_unchanged(client: httpx.AsyncClient, tokens: Tokens) -> None:
    assert names(await read_roles(client, tokens.owner)) == SEEDED


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in rows}


# --- the seed doc ---------------------------------------------------------------------


async def test_seed_doc_body_with_every_section_and_operation_applies_all_of_it(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    setup = {
        "serviceRoles": [
            {
                "serviceDefinitionId": CONSOLE,
                "roleNamesToAdd": ["service:viewer", "service:operator", "service:auditor"],
            }
        ]
    }
    assert (await patch(client, tokens.owner, setup)).status_code == 200

    body = {
        "customRoles": {
            "roleNamesToAdd": ["release-manager"],
            "roleNamesToRemove": ["viewer-plus"],
            "rolesToAdd": [seed_doc_binding("incident-commander")],
            "rolesToRemove": [{"name": "on-call", "resource": "string"}],
            "rolesToUpdate": [seed_doc_binding("auditor", expiresAt=None)],
        },
        "notifyUsersInGroups": False,
        "organizationRoles": {
            "roleNamesToAdd": ["developer"],
            "roleNamesToRemove": ["support_user"],
            "rolesToAdd": [seed_doc_binding("billing_read_only")],
            "rolesToRemove": [{"name": "org_admin", "resource": "string"}],
            "rolesToUpdate": [seed_doc_binding("org_member")],
        },
        "serviceRoles": [
            {
                "roleNamesToAdd": ["service:user"],
                "roleNamesToRemove": ["service:operator"],
                "rolesToAdd": [seed_doc_binding("service:admin")],
                "rolesToRemove": [{"name": "service:viewer", "resource": "string"}],
                "rolesToUpdate": [seed_doc_binding("service:auditor", resource="console/eu")],
                "serviceDefinitionId": CONSOLE,
            }
        ],
    }
    response = await patch(client, tokens.owner, body)

    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["csp-request-id"]
    roles = await read_roles(client, tokens.owner)
    assert names(roles) == {
        "organizationRoles": ["billing_read_only", "developer", "org_member"],
        "customRoles": ["auditor", "incident-commander", "release-manager"],
        "serviceRoles": {CONSOLE: ["service:admin", "service:auditor", "service:user"]},
    }
    org_roles = by_name(roles["organizationRoles"])
    billing = org_roles["billing_read_only"]
    assert billing["expiresAt"] == FAR and billing["resource"] == "string"
    assert billing["membershipType"] == "DIRECT"
    assert billing["displayName"] == "Billing Read-only"
    # Audit fields are the server's, never the client's "string".
    assert billing["createdBy"] == OWNER and billing["lastUpdatedBy"] == OWNER
    assert billing["createdDate"].isdigit() and billing["lastUpdatedDate"].isdigit()
    assert abs(int(billing["createdDate"]) - soon(0)) < 600
    assert org_roles["developer"]["expiresAt"] is None
    assert org_roles["developer"]["resource"] is None
    member = org_roles["org_member"]
    assert member["expiresAt"] == FAR and member["resource"] == "string"
    assert member["createdBy"] == "seed" and member["lastUpdatedBy"] == OWNER
    custom = by_name(roles["customRoles"])
    assert custom["auditor"]["expiresAt"] is None and custom["auditor"]["resource"] == "string"
    assert custom["incident-commander"]["expiresAt"] == FAR
    [service] = roles["serviceRoles"]
    assert service["serviceRoleNames"] == ["service:admin", "service:auditor", "service:user"]
    auditor = by_name(service["serviceRoles"])["service:auditor"]
    assert auditor["resource"] == "console/eu" and auditor["expiresAt"] == FAR


async def test_the_seed_doc_placeholder_body_is_refused_because_it_adds_and_removes_one_role(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    section = {"roleNamesToAdd": ["string"], "roleNamesToRemove": ["string"]}
    response = await patch(client, tokens.owner, {"organizationRoles": section})

    body = assert_csp_error(response, 400)
    assert "organizationRoles.roleNamesToRemove[0]" in body["message"]
    await assert_unchanged(client, tokens)


# --- conflict decisions ---------------------------------------------------------------


async def test_add_and_remove_of_one_role_in_a_section_is_400_and_writes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    audits_before = (await session.execute(select(func.count()).select_from(AuditEvent))).scalar()
    body = {
        "customRoles": {"roleNamesToAdd": ["release-manager"]},  # valid on its own
        "organizationRoles": {
            "rolesToAdd": [{"name": "developer"}],
            "rolesToRemove": [{"name": "developer"}],
        },
    }
    response = await patch(client, tokens.owner, body)

    message = assert_csp_error(response, 400)["message"]
    assert "organizationRoles.rolesToRemove[0].name" in message
    assert "both added and removed" in message
    await assert_unchanged(client, tokens)
    audits_after = (await session.execute(select(func.count()).select_from(AuditEvent))).scalar()
    assert audits_after == audits_before


async def test_same_role_in_two_sections_is_not_a_conflict(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "organizationRoles": {"roleNamesToRemove": ["support_user"]},
        "serviceRoles": [
            {"serviceDefinitionId": CONSOLE, "roleNamesToAdd": ["service:user"]},
        ],
    }
    assert (await patch(client, tokens.owner, body)).status_code == 200
    roles = names(await read_roles(client, tokens.owner))
    assert roles["organizationRoles"] == ["org_member"]
    assert roles["serviceRoles"] == {CONSOLE: ["service:user"]}


async def test_adding_a_role_the_group_has_updates_its_expiry_and_resource(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    expires = soon()
    body = {
        "organizationRoles": {
            "rolesToAdd": [{"name": "org_member", "expiresAt": expires, "resource": "r1"}]
        }
    }
    assert (await patch(client, tokens.owner, body)).status_code == 200
    assert (await patch(client, tokens.owner, body)).status_code == 200  # idempotent

    roles = await read_roles(client, tokens.owner)
    rows = [r for r in roles["organizationRoles"] if r["name"] == "org_member"]
    assert len(rows) == 1
    assert rows[0]["expiresAt"] == expires and rows[0]["resource"] == "r1"
    assert rows[0]["createdBy"] == "seed" and rows[0]["lastUpdatedBy"] == OWNER


async def test_removing_a_role_the_group_does_not_have_is_a_no_op(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "organizationRoles": {"rolesToRemove": [{"name": "org_admin"}]},
        "customRoles": {"roleNamesToRemove": ["release-manager"]},
    }
    response = await patch(client, tokens.owner, body)

    assert response.status_code == 200, response.text
    await assert_unchanged(client, tokens)


async def test_updating_a_role_the_group_does_not_have_is_400_and_writes_nothing(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "organizationRoles": {"roleNamesToAdd": ["developer"]},
        "customRoles": {"rolesToUpdate": [{"name": "release-manager", "expiresAt": soon()}]},
    }
    response = await patch(client, tokens.owner, body)

    message = assert_csp_error(response, 400)["message"]
    assert message.startswith("customRoles.rolesToUpdate[0].name: ")
    assert "release-manager" in message
    await assert_unchanged(client, tokens)


@pytest.mark.parametrize("field", ["rolesToAdd", "rolesToUpdate"])
async def test_expiry_in_the_past_is_400_naming_the_field(
    client: httpx.AsyncClient, tokens: Tokens, field: str
) -> None:
    body = {
        "organizationRoles": {field: [{"name": "org_member", "expiresAt": soon(-60)}]},
        "customRoles": {"roleNamesToAdd": ["release-manager"]},
    }
    response = await patch(client, tokens.owner, body)

    message = assert_csp_error(response, 400)["message"]
    assert message.startswith(f"organizationRoles.{field}[0].expiresAt: ")
    assert "in the past" in message
    await assert_unchanged(client, tokens)


async def test_null_expiry_in_an_update_means_never_expires(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    add = {"organizationRoles": {"rolesToAdd": [{"name": "developer", "expiresAt": soon()}]}}
    assert (await patch(client, tokens.owner, add)).status_code == 200
    update_body = {
        "organizationRoles": {"rolesToUpdate": [{"name": "developer", "expiresAt": None}]}
    }
    assert (await patch(client, tokens.owner, update_body)).status_code == 200

    row = by_name((await read_roles(client, tokens.owner))["organizationRoles"])["developer"]
    assert row["expiresAt"] is None


async def test_update_changes_only_the_fields_it_sends(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    expires = soon()
    add = {
        "customRoles": {"rolesToAdd": [{"name": "on-call", "expiresAt": expires, "resource": "a"}]}
    }
    assert (await patch(client, tokens.owner, add)).status_code == 200
    only_resource = {"customRoles": {"rolesToUpdate": [{"name": "on-call", "resource": "b"}]}}
    assert (await patch(client, tokens.owner, only_resource)).status_code == 200

    row = by_name((await read_roles(client, tokens.owner))["customRoles"])["on-call"]
    assert row["expiresAt"] == expires and row["resource"] == "b"


async def test_membership_type_is_accepted_and_stored_as_direct(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "organizationRoles": {"rolesToAdd": [{"name": "developer", "membershipType": "NESTED"}]}
    }
    assert (await patch(client, tokens.owner, body)).status_code == 200

    row = by_name((await read_roles(client, tokens.owner))["organizationRoles"])["developer"]
    assert row["membershipType"] == "DIRECT"


async def test_deprecated_name_lists_add_and_remove(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "organizationRoles": {
            "roleNamesToAdd": ["developer"],
            "roleNamesToRemove": ["support_user"],
        },
        "customRoles": {"roleNamesToAdd": ["on-call"], "roleNamesToRemove": ["auditor"]},
    }
    assert (await patch(client, tokens.owner, body)).status_code == 200

    roles = names(await read_roles(client, tokens.owner))
    assert roles["organizationRoles"] == ["developer", "org_member"]
    assert roles["customRoles"] == ["on-call", "viewer-plus"]


# --- unknown names and bad input --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"organizationRoles": {"roleNamesToAdd": ["org_emperor"]}},
            "organizationRoles.roleNamesToAdd[0]",
        ),
        (
            {"customRoles": {"rolesToAdd": [{"name": "no-such-role"}]}},
            "customRoles.rolesToAdd[0].name",
        ),
        (
            {"serviceRoles": [{"serviceDefinitionId": CONSOLE, "roleNamesToAdd": ["x:y"]}]},
            "serviceRoles[0].roleNamesToAdd[0]",
        ),
        (
            {"serviceRoles": [{"serviceDefinitionId": "not-a-uuid", "roleNamesToAdd": ["a"]}]},
            "serviceRoles[0].serviceDefinitionId",
        ),
        (
            {"serviceRoles": [{"serviceDefinitionId": NOWHERE}]},
            "serviceRoles[0].serviceDefinitionId",
        ),
        (
            # Another org's service definition is unknown here.
            {"serviceRoles": [{"serviceDefinitionId": OTHER_SERVICE}]},
            "serviceRoles[0].serviceDefinitionId",
        ),
        (
            {"organizationRoles": {"rolesToAdd": [{"name": "developer", "expiresAt": "soon"}]}},
            "organizationRoles.rolesToAdd[0].expiresAt",
        ),
        (
            {"organizationRoles": {"rolesToAdd": [{"name": "developer", "membershipType": "X"}]}},
            "organizationRoles.rolesToAdd[0].membershipType",
        ),
        ({"serviceRoles": [{"roleNamesToAdd": ["a"]}]}, "serviceRoles[0].serviceDefinitionId"),
        (
            {
                "serviceRoles": [
                    {"serviceDefinitionId": CONSOLE},
                    {"serviceDefinitionId": CONSOLE},
                ]
            },
            "serviceRoles[1].serviceDefinitionId",
        ),
    ],
)
async def test_invalid_input_is_400_naming_the_offending_field(
    client: httpx.AsyncClient, tokens: Tokens, body: dict[str, Any], field: str
) -> None:
    body = {**body, "customRoles": body.get("customRoles", {"roleNamesToAdd": ["on-call"]})}
    response = await patch(client, tokens.owner, body)

    error = assert_csp_error(response, 400)
    assert field in error["message"], error["message"]
    await assert_unchanged(client, tokens)


async def test_body_that_is_not_json_is_400(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.patch(
        roles_url(),
        content=b"{nope",
        headers={**csp(tokens.owner), "content-type": "application/json"},
    )
    assert_csp_error(response, 400)


# --- who may -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "member"])
async def test_non_owner_is_refused_403_and_nothing_changes(
    client: httpx.AsyncClient, tokens: Tokens, who: str
) -> None:
    body = {"organizationRoles": {"roleNamesToAdd": ["developer"]}}
    response = await patch(client, getattr(tokens, who), body)

    error = assert_csp_error(response, 403)
    assert error["errorCode"] == "FORBIDDEN"
    await assert_unchanged(client, tokens)


async def test_owner_through_a_group_is_accepted(client: httpx.AsyncClient, tokens: Tokens) -> None:
    body = {"organizationRoles": {"roleNamesToAdd": ["developer"]}}
    response = await patch(client, tokens.group_owner, body)

    assert response.status_code == 200, response.text
    row = by_name((await read_roles(client, tokens.owner))["organizationRoles"])["developer"]
    assert row["createdBy"] == GROUP_OWNER


async def test_expired_group_role_is_hidden_and_no_longer_makes_its_members_owners(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    # The Lapsed group's org_owner ran out a minute ago.
    await session.execute(
        update(RoleAssignment)
        .where(RoleAssignment.group_id == LAPSED, RoleAssignment.role_key == "org_owner")
        .values(ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    await session.commit()

    assert (await read_roles(client, tokens.owner, LAPSED))["organizationRoles"] == []
    response = await patch(
        client, tokens.lapsed_owner, {"organizationRoles": {"roleNamesToAdd": ["developer"]}}
    )
    assert_csp_error(response, 403)
    await assert_unchanged(client, tokens)


async def test_an_expired_role_can_be_added_again_as_a_new_grant(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    await session.execute(
        update(RoleAssignment)
        .where(RoleAssignment.group_id == LAPSED, RoleAssignment.role_key == "org_owner")
        .values(ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    await session.commit()
    body = {"organizationRoles": {"rolesToUpdate": [{"name": "org_owner", "expiresAt": None}]}}
    assert_csp_error(await patch(client, tokens.owner, body, LAPSED), 400)

    add = {"organizationRoles": {"roleNamesToAdd": ["org_owner"]}}
    assert (await patch(client, tokens.owner, add, LAPSED)).status_code == 200

    [row] = (await read_roles(client, tokens.owner, LAPSED))["organizationRoles"]
    assert row["name"] == "org_owner" and row["expiresAt"] is None
    assert row["createdBy"] == OWNER
    count = (
        await session.execute(
            select(func.count())
            .select_from(RoleAssignment)
            .where(RoleAssignment.group_id == LAPSED)
        )
    ).scalar()
    assert count == 1


async def test_token_of_another_org_is_403(client: httpx.AsyncClient, tokens: Tokens) -> None:
    body = {"organizationRoles": {"roleNamesToAdd": ["developer"]}}
    response = await patch(client, tokens.other_owner, body)

    assert_csp_error(response, 403)
    await assert_unchanged(client, tokens)


async def test_missing_org_is_404_with_the_csp_message(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    for org in (str(uuid.uuid4()), "not-a-guid"):
        response = await client.patch(
            roles_url(org, ENGINEERING), json={}, headers=csp(tokens.owner)
        )
        error = assert_csp_error(response, 404)
        assert error["message"] == "Organization with this identifier is not found."


@pytest.mark.parametrize("group", [OTHER_GROUP, NOWHERE, "engineering"])
async def test_group_missing_or_in_another_org_is_404_with_the_csp_message(
    client: httpx.AsyncClient, tokens: Tokens, group: str
) -> None:
    body = {"organizationRoles": {"roleNamesToAdd": ["developer"]}}
    response = await patch(client, tokens.owner, body, group)

    error = assert_csp_error(response, 404)
    assert error["message"] == "Group with this identifier is not found."
    response = await client.get(roles_url(OTHER_ORG, OTHER_GROUP), headers=csp(tokens.other_owner))
    assert response.json()["organizationRoles"] == []


# --- one store ------------------------------------------------------------------------


async def test_patch_changes_only_csp_rows_of_the_group(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    # A ctrl-hub row held by the same group, for a role name CSP is about to remove.
    session.add(
        RoleAssignment(
            id=uuid.uuid4(),
            org_id=uuid.UUID(ORG),
            surface="ctrlhub",
            kind="organization",
            group_id=uuid.UUID(ENGINEERING),
            role_key="support_user",
        )
    )
    await session.commit()
    body = {
        "organizationRoles": {"roleNamesToRemove": ["org_member", "support_user"]},
        "customRoles": {"roleNamesToRemove": ["auditor", "viewer-plus"]},
    }
    assert (await patch(client, tokens.owner, body)).status_code == 200

    assert names(await read_roles(client, tokens.owner)) == {
        "organizationRoles": [],
        "customRoles": [],
        "serviceRoles": {},
    }
    surfaces = (
        await session.execute(
            select(RoleAssignment.surface, RoleAssignment.role_key)
            .where(
                (RoleAssignment.group_id == uuid.UUID(ENGINEERING))
                | RoleAssignment.project_membership_id.is_not(None)
            )
            .order_by(RoleAssignment.surface)
        )
    ).all()
    assert sorted(surfaces) == [("ctrlhub", "support_user"), ("infisical", "member")]


async def test_accepted_patch_writes_an_audit_event_with_before_and_after(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    body = {"organizationRoles": {"roleNamesToAdd": ["developer"]}}
    response = await patch(client, tokens.owner, body)
    assert response.status_code == 200

    event = (
        await session.execute(
            select(AuditEvent).where(AuditEvent.action == "csp.group.roles.update")
        )
    ).scalar_one()
    assert event.surface == "csp" and event.actor_id == OWNER
    assert event.target_id == ENGINEERING
    assert event.request_id == response.headers["csp-request-id"]
    assert [r["name"] for r in event.before["organizationRoles"]] == ["org_member", "support_user"]
    assert [r["name"] for r in event.after["organizationRoles"]] == [
        "org_member",
        "developer",
        "support_user",
    ]


async def test_dry_run_answers_200_and_writes_nothing(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        roles_url() + "?dryRun=true",
        json={"organizationRoles": {"roleNamesToAdd": ["developer"]}},
        headers=csp(tokens.owner),
    )

    assert response.status_code == 200 and response.content == b""
    await assert_unchanged(client, tokens)


async def test_roles_of_an_empty_group_read_back_empty(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = await read_roles(client, tokens.admin, EMPTY_GROUP)
    assert body == {"customRoles": [], "organizationRoles": [], "serviceRoles": []}


async def test_reading_roles_needs_owner_or_admin(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert (await client.get(roles_url(), headers=csp(tokens.admin))).status_code == 200
    assert_csp_error(await client.get(roles_url(), headers=csp(tokens.member)), 403)
