"""Endpoint E: PATCH /v3/orgs/{org_id}/iam/groups/{group_id} (JSON:API)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import AuditEvent
from tests.api.ctrlhub.conftest import (
    DEV,
    ENGINEERING,
    JSONAPI,
    MEMBER,
    THEIRS,
    assert_error,
    binding,
    csp_rows_of,
    group_url,
    headers,
    patch_body,
    read_group,
    rule,
)

pytestmark = pytest.mark.usefixtures("world")

SEED_DOC = Path("/work/shared/seeds/ctrlhub-update-role-group.txt")


def seed_doc_body() -> dict[str, Any]:
    """The request body of the vendor's curl example, as printed in its docs."""
    text = SEED_DOC.read_text() if SEED_DOC.exists() else ""
    start = text.find("--data '")
    if start < 0:  # the docs page is not beside this checkout: the same body, inline
        return {
            "data": {
                "type": "<string>",
                "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                "attributes": {
                    "name": "<string>",
                    "description": "<string>",
                    "bindings": [
                        {
                            "role": "<string>",
                            "condition": {
                                "gate": "AND",
                                "rules": [
                                    {
                                        "type": "<string>",
                                        "operator": "has_value",
                                        "key": "<string>",
                                        "value": "<string>",
                                    }
                                ],
                            },
                        }
                    ],
                },
            }
        }
    start = text.index("{", start)
    body: dict[str, Any] = json.JSONDecoder().raw_decode(text[start:])[0]
    return body


async def test_seed_doc_body_with_real_values_updates_group_and_returns_compound_document(
    client: httpx.AsyncClient,
) -> None:
    body = seed_doc_body()
    body["data"]["type"] = "groups"
    body["data"]["id"] = ENGINEERING
    attributes = body["data"]["attributes"]
    attributes["name"] = "Field Engineering"
    attributes["description"] = "On-site crews"
    attributes["bindings"][0]["role"] = "org_member"
    attributes["bindings"][0]["condition"]["rules"][0].update(
        {"type": "attribute", "key": "department", "value": "field"}
    )

    response = await client.patch(group_url(), content=json.dumps(body), headers=headers())

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI
    assert response.headers["x-trace-id"]
    doc = response.json()
    assert set(doc) == {"data", "included", "jsonapi"}
    assert doc["jsonapi"] == {"version": "1.0"}
    data = doc["data"]
    assert data["id"] == ENGINEERING and data["type"] == "groups"
    assert data["attributes"]["name"] == "Field Engineering"
    assert data["attributes"]["description"] == "On-site crews"
    [bound] = data["attributes"]["bindings"]
    assert bound["role"] == "org_member"
    assert bound["condition"] == {
        "gate": "AND",
        "rules": [
            {"type": "attribute", "operator": "has_value", "key": "department", "value": "field"}
        ],
    }
    assert bound["id"]
    assert data["relationships"]["service_accounts"] == {"data": []}
    linked = data["relationships"]["users"]["data"]
    assert sorted(u["id"] for u in linked) == sorted([MEMBER, DEV])
    assert all(u["type"] == "users" for u in linked)
    assert [(u["type"], u["id"]) for u in doc["included"]] == [(u["type"], u["id"]) for u in linked]

    assert (await read_group(client))["data"] == data


async def test_seed_doc_body_verbatim_is_a_409_for_its_placeholder_type(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(
        group_url(), content=json.dumps(seed_doc_body()), headers=headers()
    )
    assert_error(response, 409, "/data/type")
    assert (await read_group(client))["data"]["attributes"]["name"] == "Engineering"


async def test_sdk_style_plain_json_body_is_accepted(client: httpx.AsyncClient) -> None:
    body = patch_body(
        name="Engineering 2",
        bindings=[binding("auditor", rule("welding", key="skills"))],
    )
    response = await client.patch(
        group_url(),
        json=body,
        headers={"X-Session-Token": "ses-owner", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI
    group = (await read_group(client))["data"]["attributes"]
    assert group["name"] == "Engineering 2"
    assert [b["role"] for b in group["bindings"]] == ["auditor"]


async def test_bearer_token_is_accepted_like_x_session_token(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        group_url(),
        json=patch_body(description="via bearer"),
        headers={"Authorization": "Bearer ses-owner", "Content-Type": JSONAPI},
    )
    assert response.status_code == 200, response.text
    assert (await read_group(client))["data"]["attributes"]["description"] == "via bearer"


async def test_attributes_left_out_keep_their_values(client: httpx.AsyncClient) -> None:
    await client.patch(
        group_url(), json=patch_body(bindings=[binding("developer")]), headers=headers()
    )
    response = await client.patch(group_url(), json=patch_body(name="Renamed"), headers=headers())
    assert response.status_code == 200, response.text
    attributes = (await read_group(client))["data"]["attributes"]
    assert attributes["name"] == "Renamed"
    assert attributes["description"] == "Builds things"
    assert [b["role"] for b in attributes["bindings"]] == ["developer"]


async def test_no_attributes_changes_nothing(client: httpx.AsyncClient) -> None:
    before = await read_group(client)
    body = {"data": {"type": "groups", "id": ENGINEERING}}
    response = await client.patch(group_url(), json=body, headers=headers())
    assert response.status_code == 200, response.text
    assert (await read_group(client))["data"] == before["data"]


async def test_bindings_replace_the_whole_list_with_server_assigned_ids(
    client: httpx.AsyncClient,
) -> None:
    first = await client.patch(
        group_url(),
        json=patch_body(bindings=[binding("developer"), binding("auditor")]),
        headers=headers(),
    )
    ids = [b["id"] for b in first.json()["data"]["attributes"]["bindings"]]
    assert len(set(ids)) == 2

    second = await client.patch(
        group_url(),
        json=patch_body(bindings=[binding("support_user", rule("office"), gate="OR")]),
        headers=headers(),
    )
    assert second.status_code == 200, second.text
    [only] = (await read_group(client))["data"]["attributes"]["bindings"]
    assert only["role"] == "support_user" and only["condition"]["gate"] == "OR"
    assert only["id"] not in ids


async def test_binding_sent_with_its_id_keeps_it_and_new_ones_get_fresh_ids(
    client: httpx.AsyncClient,
) -> None:
    first = await client.patch(
        group_url(),
        json=patch_body(bindings=[binding("developer"), binding("auditor")]),
        headers=headers(),
    )
    developer, auditor = first.json()["data"]["attributes"]["bindings"]

    kept = {**binding("billing_read_only", rule("field")), "id": auditor["id"]}
    response = await client.patch(
        group_url(), json=patch_body(bindings=[binding("org_member"), kept]), headers=headers()
    )

    assert response.status_code == 200, response.text
    stored = (await read_group(client))["data"]["attributes"]["bindings"]
    assert [b["role"] for b in stored] == ["org_member", "billing_read_only"]
    assert stored[1]["id"] == auditor["id"]
    assert stored[0]["id"] not in {developer["id"], auditor["id"]}


async def test_empty_bindings_list_removes_every_binding(client: httpx.AsyncClient) -> None:
    await client.patch(
        group_url(), json=patch_body(bindings=[binding("developer")]), headers=headers()
    )
    response = await client.patch(group_url(), json=patch_body(bindings=[]), headers=headers())
    assert response.status_code == 200, response.text
    assert (await read_group(client))["data"]["attributes"]["bindings"] == []


async def test_binding_without_condition_is_stored_unconditional(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(
        group_url(), json=patch_body(bindings=[{"role": "developer"}]), headers=headers()
    )
    assert response.status_code == 200, response.text
    [stored] = (await read_group(client))["data"]["attributes"]["bindings"]
    assert stored["condition"] == {"gate": "AND", "rules": []}


async def test_ctrlhub_patch_never_touches_the_groups_csp_rows(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await csp_rows_of(session, ENGINEERING)
    assert ("csp", "organization", "developer") in before

    await client.patch(
        group_url(), json=patch_body(bindings=[binding("org_member")]), headers=headers()
    )
    response = await client.patch(group_url(), json=patch_body(bindings=[]), headers=headers())

    assert response.status_code == 200, response.text
    assert await csp_rows_of(session, ENGINEERING) == before


async def test_accepted_patch_writes_one_audit_event_with_before_and_after(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.patch(
        group_url(),
        json=patch_body(name="Audited", bindings=[binding("developer")]),
        headers=headers(),
    )
    assert response.status_code == 200, response.text
    event = (
        await session.execute(select(AuditEvent).where(AuditEvent.action == "ctrlhub.group.update"))
    ).scalar_one()
    assert event.surface == "ctrlhub" and event.target_id == ENGINEERING
    assert event.before["name"] == "Engineering" and event.before["bindings"] == []
    assert event.after["name"] == "Audited"
    assert [b["role"] for b in event.after["bindings"]] == ["developer"]
    assert event.request_id == response.headers["x-trace-id"]


# --- 409: type and id --------------------------------------------------------------


async def test_type_mismatch_is_409_and_changes_nothing(client: httpx.AsyncClient) -> None:
    before = await read_group(client)
    body = patch_body(name="Nope")
    body["data"]["type"] = "users"
    response = await client.patch(group_url(), json=body, headers=headers())
    assert_error(response, 409, "/data/type")
    assert (await read_group(client)) == before


async def test_id_mismatch_is_409_and_changes_nothing(client: httpx.AsyncClient) -> None:
    before = await read_group(client)
    body = patch_body(group=DEV, name="Nope")
    response = await client.patch(group_url(), json=body, headers=headers())
    assert_error(response, 409, "/data/id")
    assert (await read_group(client)) == before


async def test_id_in_other_case_matches_the_url(client: httpx.AsyncClient) -> None:
    body = patch_body(group=ENGINEERING.upper(), name="Upper")
    response = await client.patch(group_url(), json=body, headers=headers())
    assert response.status_code == 200, response.text


# --- 400: pointers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "/data"),
        ({"data": None}, "/data"),
        ({"data": {"id": ENGINEERING, "attributes": {}}}, "/data/type"),
        ({"data": {"type": "groups", "attributes": {}}}, "/data/id"),
        (patch_body(name=""), "/data/attributes/name"),
        (patch_body(name=None), "/data/attributes/name"),
        (patch_body(description=5), "/data/attributes/description"),
        (patch_body(bindings=None), "/data/attributes/bindings"),
        (patch_body(bindings={"role": "developer"}), "/data/attributes/bindings"),
        (
            patch_body(bindings=[{"condition": {"gate": "AND", "rules": []}}]),
            "/data/attributes/bindings/0/role",
        ),
        (
            patch_body(bindings=[binding("developer"), binding("god")]),
            "/data/attributes/bindings/1/role",
        ),
        (
            patch_body(bindings=[binding("developer", gate="XOR")]),
            "/data/attributes/bindings/0/condition/gate",
        ),
        (
            patch_body(bindings=[{"role": "developer", "condition": {"rules": []}}]),
            "/data/attributes/bindings/0/condition/gate",
        ),
        (
            patch_body(bindings=[binding("developer", {**rule("x"), "operator": "equals"})]),
            "/data/attributes/bindings/0/condition/rules/0/operator",
        ),
        (
            patch_body(bindings=[binding("developer", rule("x"), {**rule("x"), "type": ""})]),
            "/data/attributes/bindings/0/condition/rules/1/type",
        ),
        (
            patch_body(bindings=[binding("developer", {**rule("x"), "key": ""})]),
            "/data/attributes/bindings/0/condition/rules/0/key",
        ),
        (
            patch_body(bindings=[binding("developer", {**rule("x"), "value": 7})]),
            "/data/attributes/bindings/0/condition/rules/0/value",
        ),
        (
            patch_body(bindings=[binding("developer", {**rule("x"), "value": ""})]),
            "/data/attributes/bindings/0/condition/rules/0/value",
        ),
        (
            patch_body(bindings=[{**binding("developer"), "id": "not-a-uuid"}]),
            "/data/attributes/bindings/0/id",
        ),
        (
            patch_body(
                bindings=[{**binding("developer"), "id": "00000000-0000-4000-8000-000000000000"}]
            ),
            "/data/attributes/bindings/0/id",
        ),
    ],
)
async def test_invalid_body_is_400_with_pointer_and_changes_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], pointer: str
) -> None:
    before = await read_group(client)
    response = await client.patch(group_url(), json=body, headers=headers())
    body_out = assert_error(response, 400, pointer)
    assert body_out["errors"][0]["detail"]
    assert (await read_group(client)) == before


async def test_every_invalid_field_gets_its_own_error_object(client: httpx.AsyncClient) -> None:
    body = patch_body(
        name="",
        bindings=[binding("developer", gate="XOR"), binding("developer", {**rule("x"), "key": ""})],
    )
    response = await client.patch(group_url(), json=body, headers=headers())
    doc = assert_error(response, 400)
    assert sorted(e["source"]["pointer"] for e in doc["errors"]) == [
        "/data/attributes/bindings/0/condition/gate",
        "/data/attributes/bindings/1/condition/rules/0/key",
        "/data/attributes/name",
    ]


async def test_unknown_roles_are_reported_together(client: httpx.AsyncClient) -> None:
    body = patch_body(bindings=[binding("god"), binding("developer"), binding("root")])
    doc = assert_error(await client.patch(group_url(), json=body, headers=headers()), 400)
    assert [e["source"]["pointer"] for e in doc["errors"]] == [
        "/data/attributes/bindings/0/role",
        "/data/attributes/bindings/2/role",
    ]
    assert "catalogue" in doc["errors"][0]["detail"]


async def test_role_display_title_is_not_a_role_name(client: httpx.AsyncClient) -> None:
    # Bindings name roles by their catalogue name (org_owner), not their display title.
    body = patch_body(bindings=[binding("Organization Owner")])
    assert_error(
        await client.patch(group_url(), json=body, headers=headers()),
        400,
        "/data/attributes/bindings/0/role",
    )


async def test_malformed_json_is_400_without_pointer(client: httpx.AsyncClient) -> None:
    response = await client.patch(group_url(), content=b'{"data": ', headers=headers())
    doc = assert_error(response, 400)
    assert "source" not in doc["errors"][0]


async def test_duplicate_binding_id_is_400(client: httpx.AsyncClient) -> None:
    first = await client.patch(
        group_url(), json=patch_body(bindings=[binding("developer")]), headers=headers()
    )
    [existing] = first.json()["data"]["attributes"]["bindings"]
    kept = {**binding("developer"), "id": existing["id"]}
    body = patch_body(bindings=[kept, copy.deepcopy(kept)])
    assert_error(
        await client.patch(group_url(), json=body, headers=headers()),
        400,
        "/data/attributes/bindings/1/id",
    )
    assert [b["id"] for b in (await read_group(client))["data"]["attributes"]["bindings"]] == [
        existing["id"]
    ]


# --- 404 ---------------------------------------------------------------------------


async def test_group_of_another_org_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        group_url(THEIRS), json=patch_body(group=THEIRS, name="Mine"), headers=headers()
    )
    assert_error(response, 404)


async def test_group_id_that_is_not_a_uuid_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        group_url("nope"), json=patch_body(group="nope", name="x"), headers=headers()
    )
    assert_error(response, 404)
