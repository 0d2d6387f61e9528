"""Session tokens (401), IAM administration (403) and tenancy (404) on the ctrl-hub surface."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.ctrlhub import sessions as session_tokens
from rolegate.rbac.errors import NotFoundError
from rolegate.rbac.models import SessionToken
from rolegate.rbac.secrets import token_digest
from tests.api.ctrlhub.conftest import (
    ENGINEERING,
    EXPIRED_TOKEN,
    GROUP_ADMIN_TOKEN,
    JSONAPI,
    MEMBER_TOKEN,
    MISSING_GROUP,
    MISSING_ORG,
    ORG,
    OTHER_ORG,
    OUTSIDER_TOKEN,
    assert_error,
    binding,
    group_url,
    headers,
    patch_body,
    read_group,
)

pytestmark = pytest.mark.usefixtures("world")


async def test_missing_token_is_401_before_the_body_is_looked_at(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(
        group_url(), content=b"not json", headers={"Content-Type": JSONAPI}
    )
    doc = assert_error(response, 401)
    assert doc["errors"][0]["source"] == {"header": "X-Session-Token"}
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["ses-unknown", EXPIRED_TOKEN, " "])
async def test_unknown_or_expired_token_is_401_and_changes_nothing(
    client: httpx.AsyncClient, token: str
) -> None:
    before = await read_group(client)
    response = await client.patch(
        group_url(), json=patch_body(name="Hijacked"), headers=headers(token)
    )
    assert_error(response, 401)
    assert await read_group(client) == before


async def test_wrong_authorization_scheme_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(group_url(), headers={"Authorization": "Basic ses-owner"})
    assert_error(response, 401)


async def test_org_member_without_iam_admin_is_403_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    before = await read_group(client)
    response = await client.patch(
        group_url(), json=patch_body(bindings=[binding("org_owner")]), headers=headers(MEMBER_TOKEN)
    )
    assert_error(response, 403)
    assert await read_group(client) == before


async def test_org_admin_through_a_group_may_patch(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        group_url(), json=patch_body(name="By group admin"), headers=headers(GROUP_ADMIN_TOKEN)
    )
    assert response.status_code == 200, response.text
    assert (await read_group(client))["data"]["attributes"]["name"] == "By group admin"


async def test_admin_of_another_org_is_403(client: httpx.AsyncClient) -> None:
    before = await read_group(client)
    response = await client.patch(
        group_url(), json=patch_body(name="Theirs now"), headers=headers(OUTSIDER_TOKEN)
    )
    assert_error(response, 403)
    assert await read_group(client) == before


async def test_own_org_in_url_with_group_of_another_org_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(group_url(ENGINEERING, OTHER_ORG), headers=headers(OUTSIDER_TOKEN))
    assert_error(response, 404)


async def test_unknown_org_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        group_url(ENGINEERING, MISSING_ORG), json=patch_body(name="x"), headers=headers()
    )
    assert_error(response, 404)


async def test_unknown_group_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        group_url(MISSING_GROUP), json=patch_body(group=MISSING_GROUP, name="x"), headers=headers()
    )
    assert_error(response, 404)


async def test_expired_admin_role_no_longer_authorizes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from sqlalchemy import update

    from rolegate.rbac.models import RoleAssignment

    await session.execute(
        update(RoleAssignment)
        .where(RoleAssignment.role_key == "org_admin")
        .values(ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    await session.commit()
    response = await client.get(group_url(), headers=headers(GROUP_ADMIN_TOKEN))
    assert_error(response, 403)


async def test_conditional_org_admin_binding_authorizes_only_matching_members(
    client: httpx.AsyncClient,
) -> None:
    # Bindings count in evaluation like every surface's assignments: a matching
    # org_admin binding makes a member an IAM administrator, a non-matching one does not.
    from tests.api.ctrlhub.conftest import rule

    for value, expected in (("office", 403), ("field", 200)):
        response = await client.patch(
            group_url(),
            json=patch_body(bindings=[binding("org_admin", rule(value))]),
            headers=headers(),
        )
        assert response.status_code == 200, response.text
        attempt = await client.get(group_url(), headers=headers(MEMBER_TOKEN))
        assert attempt.status_code == expected, attempt.text


async def test_minted_session_token_is_stored_hashed_and_works(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    minted = await session_tokens.mint(
        session,
        email="owner@acme.test",
        org=None,
        ttl=dt.timedelta(hours=1),
        now=dt.datetime.now(dt.UTC),
    )
    await session.commit()
    stored = (
        await session.execute(
            select(SessionToken).where(SessionToken.token_hash == token_digest(minted.token))
        )
    ).scalar_one()
    assert minted.token.encode() not in stored.token_hash
    assert stored.expires_at is not None

    response = await client.get(group_url(), headers=headers(minted.token))
    assert response.status_code == 200, response.text


async def test_minting_for_an_email_in_two_orgs_needs_the_org(session: AsyncSession) -> None:
    from tests.conftest import seed_into

    await seed_into(
        session,
        {
            "organizations": [
                {"name": "Other", "slug": "other", "users": [{"email": "owner@acme.test"}]}
            ]
        },
    )
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(NotFoundError, match="--org"):
        await session_tokens.mint(session, email="owner@acme.test", org=None, ttl=None, now=now)
    minted = await session_tokens.mint(
        session, email="owner@acme.test", org="other", ttl=None, now=now
    )
    assert str(minted.user.org_id) != ORG and minted.expires_at is None
    with pytest.raises(NotFoundError):
        await session_tokens.mint(session, email="nobody@acme.test", org=None, ttl=None, now=now)


async def test_unexpected_failure_is_500_without_detail_and_with_trace_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rolegate.rbac.ctrlhub import groups as role_groups

    async def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(role_groups, "get_group", boom)
    response = await client.get(group_url(), headers=headers())
    doc = assert_error(response, 500)
    assert doc["errors"][0] == {
        "id": response.headers["x-trace-id"],
        "status": "500",
        "title": "Internal Server Error",
    }
    assert "secret" not in response.text


async def test_wrong_method_is_405_in_a_jsonapi_document_with_allow(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put(group_url(), json=patch_body(name="x"), headers=headers())
    assert_error(response, 405)
    assert response.headers["allow"] == "DELETE, GET, PATCH"


async def test_unknown_v3_path_is_404_in_a_jsonapi_document(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/v3/orgs/x/iam/teams"), 404)


async def test_invalid_token_is_401_before_body_validation(client: httpx.AsyncClient) -> None:
    response = await client.patch(group_url(), json={"data": None}, headers=headers("ses-bogus"))
    assert_error(response, 401)
