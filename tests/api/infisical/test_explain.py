"""Effective permissions and the permission check over the Infisical surface."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.api.infisical import explain_schemas as wire
from rolegate.config import Settings
from rolegate.rbac.permissions.builtin_roles import BUILTIN_PROJECT_ROLES
from rolegate.rbac.permissions.rules import Rule, parse_rules, rules_from_json
from rolegate.rbac.permissions.schema import EQ
from tests.conftest import bearer, infisical_token, seed_into
from tests.rbac.explain_world import (
    ADMIN,
    AUDITOR,
    BLIND,
    DANA,
    DEPLOY_BOT,
    ENGINEERING,
    ORG,
    OTHER_PROJECT,
    OUTSIDER,
    PROJECT,
    THEIR_USER,
    world,
)

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
LATER = NOW + dt.timedelta(hours=2)
EXPLAIN = f"/api/v1/projects/{PROJECT}/effective-permissions"
CHECK = f"/api/v1/projects/{PROJECT}/permission-check"
PROD = {"environment": "prod", "secretPath": "/", "secretName": "DB", "secretTags": []}


@dataclass
class Tokens:
    admin: str
    auditor: str
    blind: str
    outsider: str


@pytest.fixture
async def tokens(session: AsyncSession, settings: Settings) -> Tokens:
    await seed_into(session, world(NOW))
    return Tokens(
        admin=await infisical_token(session, settings, ADMIN),
        auditor=await infisical_token(session, settings, AUDITOR),
        blind=await infisical_token(session, settings, BLIND),
        outsider=await infisical_token(session, settings, OUTSIDER),
    )


def z(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def assert_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["statusCode"], body["error"]) == (status, error)
    assert body["reqId"] and response.headers["x-request-id"] == body["reqId"]
    return body


async def explain(client: httpx.AsyncClient, token: str, **params: str) -> dict[str, Any]:
    response = await client.get(EXPLAIN, params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def sources(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["label"]: s for s in body["sources"]}


def rules_from(body: dict[str, Any], label: str) -> list[dict[str, Any]]:
    return [r for r in body["rules"] if r["source"]["label"] == label]


# --- effective permissions ------------------------------------------------------------


async def test_identity_now_names_each_source_with_window_activity_and_overrides(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = await explain(client, tokens.admin, identityId=DEPLOY_BOT)

    assert body["principal"] == {"type": "identity", "id": DEPLOY_BOT, "name": "deploy-bot"}
    assert body["projectId"] == PROJECT and body["at"].endswith("Z")
    found = sources(body)
    assert list(found) == [
        "direct role member",
        "direct role viewer",
        "additional privilege hotfix",
        "additional privilege no-prod-reads",
    ]
    assert found["direct role viewer"]["window"] == {"start": None, "end": None}
    assert found["direct role viewer"]["isTemporary"] is False
    hotfix = found["additional privilege hotfix"]
    assert hotfix["active"] is True and hotfix["privilegeSlug"] == "hotfix"
    assert hotfix["window"]["end"] == z(NOW + dt.timedelta(hours=1))
    member = found["direct role member"]
    assert member["active"] is False
    assert member["window"] == {
        "start": z(NOW + dt.timedelta(hours=1)),
        "end": z(NOW + dt.timedelta(hours=25)),
    }

    hotfix_read = next(
        r
        for r in rules_from(body, "additional privilege hotfix")
        if r["rule"]["action"] == ["read"]
    )
    assert hotfix_read["overridden"] == "fully"
    override = hotfix_read["overriddenBy"][0]
    assert override["source"]["label"] == "additional privilege no-prod-reads"
    assert override["rule"] == {
        "subject": "secrets",
        "action": ["read"],
        "conditions": {"environment": "prod"},
        "inverted": True,
    }
    assert override["actions"] == ["read"] and override["fully"] is True
    viewer_secrets = next(
        r for r in rules_from(body, "direct role viewer") if r["rule"]["subject"] == "secrets"
    )
    assert viewer_secrets["overridden"] == "partially"
    # `permissions` is what evaluation uses now: no rule of the future member role.
    assert {
        "subject": "secrets",
        "action": ["edit"],
        "conditions": {"environment": "prod"},
        "inverted": False,
    } in body["permissions"]
    assert not any(
        r["source"]["label"] == "direct role member" and r["active"] for r in body["rules"]
    )


async def test_identity_two_hours_later_sees_the_privilege_ended_and_the_role_started(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    for at in (z(LATER), LATER.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()):
        body = await explain(client, tokens.admin, identityId=DEPLOY_BOT, at=at)
        assert body["at"] == z(LATER)
        found = sources(body)
        assert found["additional privilege hotfix"]["active"] is False
        assert found["direct role member"]["active"] is True
        assert found["direct role viewer"]["active"] is True
        assert not any(
            r["source"]["label"] == "additional privilege hotfix"
            for r in body["rules"]
            if r["active"]
        )


async def test_user_group_roles_are_named_by_their_group(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = await explain(client, tokens.auditor, userId=DANA)

    assert body["principal"]["name"] == "dana@acme.test"
    found = sources(body)
    assert list(found) == [
        "direct role viewer",
        "group Engineering's role member",
        "group Engineering's role prod-guard",
    ]
    group_role = found["group Engineering's role member"]
    assert group_role["type"] == "group-role" and group_role["role"] == "member"
    assert group_role["group"] == {"id": ENGINEERING, "name": "Engineering", "slug": "engineering"}
    deny = rules_from(body, "group Engineering's role prod-guard")[0]
    assert deny["rule"]["inverted"] is True and deny["overridden"] is None


async def test_group_is_explained_by_its_own_roles(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = await explain(client, tokens.admin, groupId=ENGINEERING)
    assert body["principal"] == {"type": "group", "id": ENGINEERING, "name": "Engineering"}
    assert list(sources(body)) == ["direct role member", "direct role prod-guard"]


# --- permission check -----------------------------------------------------------------


async def check(client: httpx.AsyncClient, token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(CHECK, json=body, headers=bearer(token))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_check_answers_with_the_deciding_sources_now_and_later(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    question = {
        "principal": {"identityId": DEPLOY_BOT},
        "action": "edit",
        "subject": "secrets",
        "fields": PROD,
    }
    now = await check(client, tokens.admin, question)
    assert now["allowed"] is True
    assert [(b["effect"], b["source"]["label"]) for b in now["because"]] == [
        ("allow", "additional privilege hotfix")
    ]
    later = await check(client, tokens.admin, {**question, "at": z(LATER)})
    assert later["allowed"] is True and later["at"] == z(LATER)
    assert [b["source"]["label"] for b in later["because"]] == ["direct role member"]

    denied = await check(client, tokens.admin, {**question, "action": "read"})
    assert denied["allowed"] is False
    assert [(b["effect"], b["source"]["label"]) for b in denied["because"]] == [
        ("deny", "additional privilege no-prod-reads")
    ]
    assert denied["because"][0]["rule"]["inverted"] is True


async def test_check_for_a_user_counts_the_groups_deny(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    result = await check(
        client,
        tokens.auditor,
        {"principal": {"userId": DANA}, "action": "delete", "subject": "secrets", "fields": PROD},
    )
    assert result["allowed"] is False
    assert [b["source"]["label"] for b in result["because"]] == [
        "group Engineering's role prod-guard"
    ]


async def test_check_without_fields_asks_about_the_action_at_all(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    result = await check(
        client,
        tokens.admin,
        {"principal": {"identityId": DEPLOY_BOT}, "action": "read", "subject": "secrets"},
    )
    assert result["allowed"] is True
    nothing = await check(
        client,
        tokens.admin,
        {"principal": {"identityId": DEPLOY_BOT}, "action": "delete", "subject": "groups"},
    )
    assert nothing == {"allowed": False, "because": [], "at": nothing["at"]}


# --- the check agrees with the PATCH boundary (endpoint A) ---------------------------

SANDBOX = "00000000-0000-4000-8000-00000000e302"
ACTORS = {
    "dev-reader-bot": "00000000-0000-4000-8000-00000000e211",
    "no-prod-bot": "00000000-0000-4000-8000-00000000e212",
    "no-delete-bot": "00000000-0000-4000-8000-00000000e213",
    "member-bot": "00000000-0000-4000-8000-00000000e214",
}


def _secrets(actions: list[str], env: str | None = None, inverted: bool = False) -> dict[str, Any]:
    rule: dict[str, Any] = {"subject": "secrets", "action": actions, "inverted": inverted}
    if env:
        rule["conditions"] = {"environment": env}
    return rule


CRUD = ["read", "create", "edit", "delete"]
CUSTOM_ROLES: dict[str, list[dict[str, Any]]] = {
    "group-manager": [{"subject": "groups", "action": ["read", "create", "edit"]}],
    "dev-reader": [_secrets(["read"], "dev")],
    "prod-reader": [_secrets(["read"], "prod")],
    "dev-writer": [_secrets(["read", "edit"], "dev")],
    "secrets-all": [_secrets(CRUD)],
    "no-prod-reads": [_secrets(["read"], "prod", inverted=True)],
    "no-deletes": [_secrets(["delete"], inverted=True)],
}
ACTOR_ROLES = {
    "dev-reader-bot": ["group-manager", "dev-reader"],
    "no-prod-bot": ["group-manager", "secrets-all", "no-prod-reads"],
    "no-delete-bot": ["group-manager", "secrets-all", "no-deletes"],
    "member-bot": ["group-manager", "member"],
}
GRANTABLE = [
    "no-access",
    "viewer",
    "member",
    "admin",
    "dev-reader",
    "prod-reader",
    "dev-writer",
    "secrets-all",
    "no-deletes",
]


def boundary_world() -> dict[str, Any]:
    return {
        "organizations": [
            {
                "id": ORG,
                "name": "Acme",
                "slug": "acme-explain",
                "identities": [{"id": ident, "name": name} for name, ident in ACTORS.items()],
                "groups": [{"id": SANDBOX, "name": "Sandbox", "slug": "sandbox"}],
                "projects": [
                    {
                        "id": PROJECT,
                        "name": "Payments",
                        "slug": "payments",
                        "roles": [
                            {"slug": slug, "name": slug.title(), "permissions": rules}
                            for slug, rules in CUSTOM_ROLES.items()
                        ],
                        "groups": [{"group": "sandbox", "roles": [{"role": "no-access"}]}],
                        "identities": [
                            {"identity": name, "roles": [{"role": r} for r in ACTOR_ROLES[name]]}
                            for name in ACTORS
                        ],
                    }
                ],
            }
        ]
    }


def role_rules(slug: str) -> list[Rule]:
    if slug in BUILTIN_PROJECT_ROLES:
        return list(BUILTIN_PROJECT_ROLES[slug].rules)
    return parse_rules(CUSTOM_ROLES[slug])


def comparable(actor: list[Rule], granted: list[Rule]) -> bool:
    """The property test's side condition: actor denies only constrain keys the grant fixes."""
    for rule in granted:
        keys = set(rule.conditions or ())
        if any(op != EQ for spec in (rule.conditions or {}).values() for op in spec):
            return False
        for deny in actor:
            if (
                deny.inverted
                and deny.subject == rule.subject
                and set(rule.actions) & set(deny.actions)
                and not set(deny.conditions or ()) <= keys
            ):
                return False
    return True


async def test_check_agrees_with_the_patch_boundary_on_the_same_inputs(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, settings: Settings
) -> None:
    await seed_into(session, boundary_world())
    actor_tokens = {
        name: await infisical_token(session, settings, ident) for name, ident in ACTORS.items()
    }
    outcomes = set()
    compared = 0
    for (name, ident), slug in itertools.product(ACTORS.items(), GRANTABLE):
        held = rules_from_json(
            (await explain(client, tokens.admin, identityId=ident))["permissions"]
        )
        granted = role_rules(slug)
        if not comparable(held, granted):
            continue
        patch = await client.patch(
            f"/api/v2/workspace/{PROJECT}/groups/{SANDBOX}",
            params={"dryRun": "true"},
            json={"roles": [{"role": slug}]},
            headers=bearer(actor_tokens[name]),
        )
        assert patch.status_code in (200, 403), patch.text
        if patch.status_code == 403:
            assert patch.json()["error"] == "PermissionBoundaryError"

        async def allowed(rule: Rule, action: str, ident: str = ident) -> bool:
            fields = {key: spec[EQ] for key, spec in (rule.conditions or {}).items()}
            result = await check(
                client,
                tokens.admin,
                {
                    "principal": {"identityId": ident},
                    "action": action,
                    "subject": rule.subject,
                    "fields": fields,
                },
            )
            return bool(result["allowed"])

        check_says = True
        for rule in granted:
            for action in rule.actions:
                if not rule.inverted and not await allowed(rule, action):
                    check_says = False
                    break
            if not check_says:
                break
        assert check_says == (patch.status_code == 200), (name, slug, patch.text)
        outcomes.add(check_says)
        compared += 1
    assert outcomes == {True, False} and compared >= 20
    # Dry runs wrote nothing: the sandbox still holds only no-access.
    read_back = await client.get(
        f"/api/v2/workspace/{PROJECT}/groups/{SANDBOX}", headers=bearer(tokens.admin)
    )
    assert [r["role"] for r in read_back.json()["groupMembership"]["roles"]] == ["no-access"]


# --- refusals -------------------------------------------------------------------------


async def test_missing_token_is_401_before_validation(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(EXPLAIN), 401, "UnauthorizedError")
    assert_error(await client.post(CHECK, json={}), 401, "UnauthorizedError")


@pytest.mark.parametrize(
    ("who", "params", "subject"),
    [
        ("blind", {"identityId": DEPLOY_BOT}, "identity"),
        ("blind", {"userId": DANA}, "member"),
        ("auditor", {"groupId": ENGINEERING}, "groups"),
    ],
)
async def test_caller_without_read_on_the_principals_kind_is_403(
    client: httpx.AsyncClient, tokens: Tokens, who: str, params: dict[str, str], subject: str
) -> None:
    token = getattr(tokens, who)
    body = assert_error(
        await client.get(EXPLAIN, params=params, headers=bearer(token)), 403, "PermissionDenied"
    )
    assert body["message"] == f"You are not allowed to read on {subject}"
    key, value = next(iter(params.items()))
    refused = await client.post(
        CHECK,
        json={"principal": {key: value}, "action": "read", "subject": "secrets"},
        headers=bearer(token),
    )
    assert_error(refused, 403, "PermissionDenied")


@pytest.mark.parametrize(
    ("url", "who", "params"),
    [
        (
            f"/api/v1/projects/{OTHER_PROJECT}/effective-permissions",
            "admin",
            {"identityId": DEPLOY_BOT},
        ),
        (EXPLAIN, "outsider", {"identityId": DEPLOY_BOT}),
        (EXPLAIN, "admin", {"identityId": OUTSIDER}),
        (EXPLAIN, "admin", {"userId": THEIR_USER}),
        (EXPLAIN, "admin", {"groupId": "00000000-0000-4000-8000-0000000000ff"}),
    ],
)
async def test_other_orgs_project_or_principal_is_404(
    client: httpx.AsyncClient, tokens: Tokens, url: str, who: str, params: dict[str, str]
) -> None:
    response = await client.get(url, params=params, headers=bearer(getattr(tokens, who)))
    body = assert_error(response, 404, "NotFound")
    assert "Failed to find" in body["message"]
    key, value = next(iter(params.items()))
    refused = await client.post(
        url.replace("effective-permissions", "permission-check"),
        json={"principal": {key: value}, "action": "read", "subject": "secrets"},
        headers=bearer(getattr(tokens, who)),
    )
    assert_error(refused, 404, "NotFound")


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({}, ["query", "identityId"]),
        ({"identityId": DEPLOY_BOT, "userId": DANA}, ["query", "userId"]),
        ({"identityId": "not-a-uuid"}, ["query", "identityId"]),
        ({"identityId": DEPLOY_BOT, "at": "2030-01-01T00:00:00"}, ["query", "at"]),
        ({"identityId": DEPLOY_BOT, "at": "tomorrow"}, ["query", "at"]),
        ({"identityId": DEPLOY_BOT, "at": "1700000000"}, ["query", "at"]),
    ],
)
async def test_invalid_query_is_422_with_its_path(
    client: httpx.AsyncClient, tokens: Tokens, params: dict[str, str], path: list[str]
) -> None:
    response = await client.get(EXPLAIN, params=params, headers=bearer(tokens.admin))
    body = assert_error(response, 422, "ValidationFailure")
    assert [issue["path"] for issue in body["message"]] == [path]


GOOD_CHECK = {"principal": {"identityId": DEPLOY_BOT}, "action": "read", "subject": "secrets"}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"principal": None}, ["principal"]),
        ({"principal": {}}, ["principal"]),
        ({"principal": {"identityId": DEPLOY_BOT, "userId": DANA}}, ["principal"]),
        ({"principal": {"userId": "nope"}}, ["principal", "userId"]),
        ({"action": ""}, ["action"]),
        ({"subject": "spaceships"}, ["subject"]),
        ({"subject": "groups", "action": "fly"}, ["action"]),
        ({"fields": {"colour": "red"}}, ["fields", "colour"]),
        ({"fields": {"secretTags": "pci"}}, ["fields", "secretTags"]),
        ({"fields": {"environment": ["dev"]}}, ["fields", "environment"]),
        ({"at": "2030-01-01"}, ["at"]),
    ],
)
async def test_invalid_check_body_is_422_with_its_path(
    client: httpx.AsyncClient, tokens: Tokens, change: dict[str, Any], path: list[str]
) -> None:
    body = {k: v for k, v in {**GOOD_CHECK, **change}.items() if v is not None}
    response = await client.post(CHECK, json=body, headers=bearer(tokens.admin))
    error = assert_error(response, 422, "ValidationFailure")
    assert path in [issue["path"] for issue in error["message"]]


OTHER_CHECK = f"/api/v1/projects/{OTHER_PROJECT}/permission-check"
OTHER_EXPLAIN = f"/api/v1/projects/{OTHER_PROJECT}/effective-permissions"


@pytest.mark.parametrize(
    ("who", "method", "url", "request_input", "status", "message"),
    [
        # A dead token comes first, whatever else is wrong.
        ("garbage", "POST", OTHER_CHECK, {"principal": {}}, 401, None),
        ("garbage", "GET", OTHER_EXPLAIN, {"identityId": "nope"}, 401, None),
        # Then the request's own validation, before the project is looked at.
        ("admin", "POST", OTHER_CHECK, {"principal": {}}, 422, None),
        ("admin", "GET", OTHER_EXPLAIN, {"identityId": "nope"}, 422, None),
        ("admin", "GET", OTHER_EXPLAIN, {"identityId": OUTSIDER, "at": "tomorrow"}, 422, None),
        # Then the project (another org's), before the principal's kind or the principal.
        ("blind", "POST", OTHER_CHECK, {"principal": {"identityId": OUTSIDER}}, 404, "project"),
        ("blind", "GET", OTHER_EXPLAIN, {"identityId": OUTSIDER}, 404, "project"),
        # Then read on the principal's kind, before the principal (another org's).
        ("blind", "POST", CHECK, {"principal": {"identityId": OUTSIDER}}, 403, "identity"),
        ("blind", "GET", EXPLAIN, {"userId": THEIR_USER}, 403, "member"),
    ],
)
async def test_a_request_with_several_faults_gets_the_first_in_order(
    client: httpx.AsyncClient,
    tokens: Tokens,
    who: str,
    method: str,
    url: str,
    request_input: dict[str, Any],
    status: int,
    message: str | None,
) -> None:
    token = "not-a-token" if who == "garbage" else getattr(tokens, who)
    if method == "POST":
        body = {"action": "read", "subject": "secrets", **request_input}
        response = await client.post(url, json=body, headers=bearer(token))
    else:
        response = await client.get(url, params=request_input, headers=bearer(token))
    assert response.status_code == status, response.text
    if message is not None:
        assert message in response.json()["message"]


@pytest.mark.parametrize(
    ("method", "request_input", "model"),
    [
        ("GET", {"identityId": DEPLOY_BOT}, wire.EffectivePermissionsResponse),
        ("GET", {"userId": DANA}, wire.EffectivePermissionsResponse),
        ("GET", {"groupId": ENGINEERING}, wire.EffectivePermissionsResponse),
        ("POST", {"identityId": DEPLOY_BOT, "action": "edit"}, wire.PermissionCheckResponse),
        ("POST", {"identityId": DEPLOY_BOT, "action": "read"}, wire.PermissionCheckResponse),
        ("POST", {"userId": DANA, "action": "delete"}, wire.PermissionCheckResponse),
    ],
)
async def test_responses_are_what_the_wire_models_render(
    client: httpx.AsyncClient,
    tokens: Tokens,
    method: str,
    request_input: dict[str, str],
    model: type[BaseModel],
) -> None:
    """The routes send documents built for orjson; their bytes are what FastAPI rendered
    from the response models (member order, null members, timestamps, ids)."""
    if method == "GET":
        response = await client.get(EXPLAIN, params=request_input, headers=bearer(tokens.admin))
    else:
        key = next(k for k in ("identityId", "userId") if k in request_input)
        question = {
            "principal": {key: request_input[key]},
            "action": request_input["action"],
            "subject": "secrets",
            "fields": PROD,
        }
        response = await client.post(CHECK, json=question, headers=bearer(tokens.admin))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    adapter = TypeAdapter(model)
    rendered = adapter.dump_json(adapter.validate_json(response.content), by_alias=True)
    assert response.content == rendered
    body = response.json()
    # Non-trivial documents: windows, overrides and reasons are in them.
    assert body.get("because") or any(r["overriddenBy"] for r in body["rules"])
