"""GET /v3/orgs/{org_id}/iam/users/{user_id}/effective-bindings and
GET /v3/orgs/{org_id}/iam/groups/{group_id}/bindings/explain?user_id=…: which bindings
apply to a user, which rules matched, and the roles they give."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.ctrlhub.access import applicable_bindings
from rolegate.rbac.models import RoleAssignment
from tests.api.ctrlhub.conftest import (
    ADMINS,
    DEV,
    ENGINEERING,
    GROUP_ADMIN_TOKEN,
    JSONAPI,
    LONER,
    MEMBER,
    MEMBER_TOKEN,
    MISSING_GROUP,
    MISSING_ORG,
    ORG,
    OTHER_ORG,
    OUTSIDER,
    OUTSIDER_TOKEN,
    OWNER,
    THEIRS,
    assert_error,
    binding,
    group_url,
    headers,
    patch_body,
    rule,
)

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOUR = dt.timedelta(hours=1)


def user_url(user: str = MEMBER, org: str = ORG) -> str:
    return f"/v3/orgs/{org}/iam/users/{user}/effective-bindings"


def explain_url(group: str = ENGINEERING, org: str = ORG) -> str:
    return f"/v3/orgs/{org}/iam/groups/{group}/bindings/explain"


def rfc3339(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
async def bindings(world: None, client: httpx.AsyncClient, session: AsyncSession) -> dict[str, str]:
    """Engineering (member@ and dev@) gets three bindings through endpoint E, plus an
    unconditional one that ends in an hour (endpoint E sets no windows; another surface or
    a later feature may)."""
    body = patch_body(
        bindings=[
            # member@: department "field" → applies; dev@ is in "office".
            binding("billing_read_only", rule("field")),
            # member@ matches the profile rule only, which an OR gate needs.
            binding(
                "support_user",
                rule("plumbing", key="skills"),
                rule("Engineer", key="work.occupation", type_="profile"),
                gate="OR",
            ),
            # member@ matches the first rule, not the second: AND refuses.
            binding("auditor", rule("field"), rule("plumbing", key="skills")),
        ]
    )
    response = await client.patch(group_url(), json=body, headers=headers())
    assert response.status_code == 200, response.text
    ids = [b["id"] for b in response.json()["data"]["attributes"]["bindings"]]
    windowed = uuid.uuid4()
    session.add(
        RoleAssignment(
            id=windowed,
            org_id=uuid.UUID(ORG),
            surface="ctrlhub",
            kind="binding",
            group_id=uuid.UUID(ENGINEERING),
            role_key="developer",
            condition={"gate": "AND", "rules": []},
            position=3,
            ends_at=NOW + HOUR,
        )
    )
    await session.commit()
    return {
        "billing": ids[0],
        "support": ids[1],
        "auditor": ids[2],
        "windowed": str(windowed),
    }


async def get(client: httpx.AsyncClient, url: str, **params: str) -> dict[str, Any]:
    response = await client.get(url, headers=headers(), params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(JSONAPI)
    body: dict[str, Any] = response.json()
    assert body["jsonapi"] == {"version": "1.0"}
    return body


def verdicts(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {resource["id"]: resource for resource in body["data"]}


def applies(body: dict[str, Any]) -> dict[str, bool]:
    return {resource["id"]: resource["meta"]["applies"] for resource in body["data"]}


# --- a user -----------------------------------------------------------------------------


async def test_user_bindings_say_which_apply_and_which_rules_matched(
    client: httpx.AsyncClient, bindings: dict[str, str]
) -> None:
    body = await get(client, user_url())

    assert [r["id"] for r in body["data"]] == [
        bindings["billing"],
        bindings["support"],
        bindings["auditor"],
        bindings["windowed"],
    ]
    found = verdicts(body)
    billing = found[bindings["billing"]]
    assert billing["type"] == "bindings"
    assert billing["attributes"] == {
        "role": "billing_read_only",
        "condition": {"gate": "AND", "rules": [rule("field")]},
    }
    assert billing["relationships"] == {"group": {"data": {"id": ENGINEERING, "type": "groups"}}}
    assert billing["meta"] == {
        "applies": True,
        "reason": "every rule matched (gate AND)",
        "member": True,
        "active": True,
        "condition_holds": True,
        "rules": [{"index": 0, "matched": True}],
        "starts_at": None,
        "ends_at": None,
    }

    support = found[bindings["support"]]["meta"]
    assert support["applies"] is True
    assert support["rules"] == [{"index": 0, "matched": False}, {"index": 1, "matched": True}]
    assert support["reason"] == "rule 1 matched (gate OR needs one)"

    auditor = found[bindings["auditor"]]["meta"]
    assert auditor["applies"] is False and auditor["condition_holds"] is False
    assert auditor["rules"] == [{"index": 0, "matched": True}, {"index": 1, "matched": False}]
    assert auditor["reason"] == "rule 1 did not match (gate AND needs every rule)"

    windowed = found[bindings["windowed"]]["meta"]
    assert windowed["applies"] is True
    assert windowed["reason"] == "unconditional: the condition has no rules"
    assert windowed["ends_at"] == (NOW + HOUR).isoformat(timespec="milliseconds")[:-6] + "Z"

    assert body["meta"]["grants"] == ["billing_read_only", "support_user", "developer"]
    assert body["meta"]["user"] == {"id": MEMBER, "email": "member@acme.test"}
    assert body["included"] == [
        {"id": ENGINEERING, "type": "groups", "attributes": {"name": "Engineering"}}
    ]


async def test_the_same_bindings_judged_for_another_member(
    client: httpx.AsyncClient, bindings: dict[str, str]
) -> None:
    body = await get(client, user_url(DEV))

    assert applies(body) == {
        bindings["billing"]: False,
        bindings["support"]: False,
        bindings["auditor"]: False,
        bindings["windowed"]: True,
    }
    assert verdicts(body)[bindings["support"]]["meta"]["reason"] == (
        "no rule matched (gate OR needs one)"
    )
    assert body["meta"]["grants"] == ["developer"]


@pytest.mark.usefixtures("bindings")
async def test_a_user_in_no_group_has_no_bindings(client: httpx.AsyncClient) -> None:
    body = await get(client, user_url(LONER))
    assert body["data"] == [] and body["included"] == []
    assert body["meta"]["grants"] == []


async def test_at_a_later_moment_the_windowed_binding_no_longer_applies(
    client: httpx.AsyncClient, bindings: dict[str, str]
) -> None:
    later = NOW + 2 * HOUR
    for at in (rfc3339(later), str(int(later.timestamp()))):
        body = await get(client, user_url(), at=at)
        windowed = verdicts(body)[bindings["windowed"]]["meta"]
        assert windowed["applies"] is False and windowed["active"] is False
        assert windowed["condition_holds"] is True
        assert windowed["reason"] == "the binding is outside its time window at this moment"
        assert body["meta"]["grants"] == ["billing_read_only", "support_user"]
        assert body["meta"]["at"] == later.isoformat(timespec="milliseconds")[:-6] + "Z"


# --- one group, one user ---------------------------------------------------------------


async def test_group_explain_judges_that_groups_bindings_for_the_user(
    client: httpx.AsyncClient, bindings: dict[str, str]
) -> None:
    body = await get(client, explain_url(), user_id=MEMBER)
    user_body = await get(client, user_url())
    assert body["data"] == user_body["data"]
    assert body["meta"]["grants"] == ["billing_read_only", "support_user", "developer"]


async def test_group_explain_for_a_non_member_applies_nothing_but_judges_the_conditions(
    client: httpx.AsyncClient, bindings: dict[str, str]
) -> None:
    body = await get(client, explain_url(), user_id=LONER)

    assert set(applies(body).values()) == {False}
    found = verdicts(body)
    assert found[bindings["billing"]]["meta"]["member"] is False
    assert found[bindings["billing"]]["meta"]["reason"] == (
        "the user is not a member of group Engineering (the condition would not hold either)"
    )
    assert found[bindings["windowed"]]["meta"]["reason"] == (
        "the user is not a member of group Engineering (the condition would hold)"
    )
    assert body["meta"]["grants"] == []


@pytest.mark.parametrize("user", [MEMBER, DEV, LONER, OWNER])
async def test_both_routes_agree_with_the_enforcing_function(
    client: httpx.AsyncClient, session: AsyncSession, bindings: dict[str, str], user: str
) -> None:
    enforced = {
        str(ra.id)
        for ra, _ in await applicable_bindings(
            session, uuid.UUID(ENGINEERING), uuid.UUID(user), dt.datetime.now(dt.UTC)
        )
    }
    group_body = await get(client, explain_url(), user_id=user)
    assert {i for i, yes in applies(group_body).items() if yes} == enforced
    user_body = await get(client, user_url(user))
    engineering = {
        r["id"]: r["meta"]["applies"]
        for r in user_body["data"]
        if r["relationships"]["group"]["data"]["id"] == ENGINEERING
    }
    assert {i for i, yes in engineering.items() if yes} == enforced


async def test_a_group_admin_may_ask(client: httpx.AsyncClient, bindings: dict[str, str]) -> None:
    response = await client.get(user_url(), headers=headers(GROUP_ADMIN_TOKEN))
    assert response.status_code == 200, response.text


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [user_url(), explain_url() + f"?user_id={MEMBER}"], ids=["user", "group"]
)
async def test_returns_401_without_a_session_token(
    client: httpx.AsyncClient, bindings: dict[str, str], url: str
) -> None:
    response = await client.get(url, headers={"Accept": JSONAPI})
    body = assert_error(response, 401)
    assert body["errors"][0]["source"] == {"header": "X-Session-Token"}


@pytest.mark.parametrize(
    "url", [user_url(), explain_url() + f"?user_id={MEMBER}"], ids=["user", "group"]
)
@pytest.mark.parametrize("token", [MEMBER_TOKEN, OUTSIDER_TOKEN], ids=["member", "other-org"])
async def test_returns_403_without_iam_administration(
    client: httpx.AsyncClient, bindings: dict[str, str], url: str, token: str
) -> None:
    assert_error(await client.get(url, headers=headers(token)), 403)


@pytest.mark.parametrize(
    "url",
    [
        user_url(OUTSIDER),
        user_url(str(uuid.uuid4())),
        user_url("not-a-uuid"),
        user_url(org=MISSING_ORG),
        explain_url(THEIRS) + f"?user_id={MEMBER}",
        explain_url(MISSING_GROUP) + f"?user_id={MEMBER}",
        explain_url() + f"?user_id={OUTSIDER}",
    ],
    ids=[
        "other-orgs-user",
        "unknown-user",
        "bad-user-id",
        "unknown-org",
        "other-orgs-group",
        "unknown-group",
        "group-with-other-orgs-user",
    ],
)
async def test_returns_404_for_what_is_not_in_the_org(
    client: httpx.AsyncClient, bindings: dict[str, str], url: str
) -> None:
    assert_error(await client.get(url, headers=headers()), 404)


async def test_another_orgs_admin_sees_a_404_for_our_user_in_their_org(
    client: httpx.AsyncClient, bindings: dict[str, str]
) -> None:
    response = await client.get(user_url(MEMBER, OTHER_ORG), headers=headers(OUTSIDER_TOKEN))
    assert_error(response, 404)


async def test_returns_400_naming_the_missing_user_id(
    client: httpx.AsyncClient, bindings: dict[str, str]
) -> None:
    body = assert_error(await client.get(explain_url(), headers=headers()), 400)
    assert body["errors"][0]["source"] == {"parameter": "user_id"}


@pytest.mark.parametrize("at", ["tomorrow", "2026-01-01", "2026-01-01T00:00:00"])
async def test_returns_400_naming_an_unreadable_at(
    client: httpx.AsyncClient, bindings: dict[str, str], at: str
) -> None:
    response = await client.get(user_url(), headers=headers(), params={"at": at})
    body = assert_error(response, 400)
    assert body["errors"][0]["source"] == {"parameter": "at"}
    assert body["errors"][0]["detail"].startswith("at must be epoch seconds")


async def test_returns_406_when_accept_allows_only_jsonapi_with_an_extension(
    client: httpx.AsyncClient, bindings: dict[str, str]
) -> None:
    response = await client.get(
        user_url(), headers={**headers(), "Accept": f'{JSONAPI}; ext="bulk"'}
    )
    assert_error(response, 406)


@pytest.mark.usefixtures("bindings")
async def test_admins_group_bindings_are_judged_too(client: httpx.AsyncClient) -> None:
    # A group with no bindings explains to an empty document, not an error.
    body = await get(client, explain_url(ADMINS), user_id=MEMBER)
    assert body["data"] == [] and body["meta"]["grants"] == []
