"""Explaining a principal's project access, and checking it, at the core level."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.errors import PermissionDeniedError, ProjectNotFoundError
from rolegate.rbac.evaluation import project_rules
from rolegate.rbac.explain import project as ex
from rolegate.rbac.models import Project
from rolegate.rbac.permissions.rules import Ability, Rule
from tests.conftest import seed_into
from tests.rbac.explain_world import (
    ADMIN,
    AUDITOR,
    BLIND,
    DANA,
    DEPLOY_BOT,
    ENGINEERING,
    IDLE,
    ORG,
    OTHER_PROJECT,
    OUTSIDER,
    PROJECT,
    SCOPED,
    THEIR_USER,
    world,
)

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
LATER = NOW + dt.timedelta(hours=2)
BOT = ex.Principal("identity", uuid.UUID(DEPLOY_BOT))
USER = ex.Principal("user", uuid.UUID(DANA))
PROD = {"environment": "prod", "secretPath": "/", "secretName": "DB", "secretTags": []}


@pytest.fixture
async def project(session: AsyncSession) -> Project:
    await seed_into(session, world(NOW))
    found = await repository.get_project(session, uuid.UUID(PROJECT), uuid.UUID(ORG))
    assert found is not None
    return found


def by_label(explanation: ex.Explanation) -> dict[str, list[ex.ExplainedRule]]:
    grouped: dict[str, list[ex.ExplainedRule]] = {}
    for item in explanation.rules:
        grouped.setdefault(item.source.label, []).append(item)
    return grouped


def source(explanation: ex.Explanation, label: str) -> ex.Source:
    return next(s for s in explanation.sources if s.label == label)


def actor(identity: str) -> Actor:
    return Actor(kind="identity", id=uuid.UUID(identity), org_id=uuid.UUID(ORG), surface="test")


async def test_identity_explained_now_names_every_source_with_window_and_activity(
    session: AsyncSession, project: Project
) -> None:
    explanation = await ex.explain(session, project, BOT, NOW)

    assert explanation.principal_name == "deploy-bot"
    assert [s.label for s in explanation.sources] == [
        "direct role member",
        "direct role viewer",
        "additional privilege hotfix",
        "additional privilege no-prod-reads",
    ]
    viewer = source(explanation, "direct role viewer")
    assert (viewer.starts_at, viewer.ends_at, viewer.active) == (None, None, True)
    member = source(explanation, "direct role member")
    assert member.starts_at == NOW + dt.timedelta(hours=1)
    assert member.ends_at == NOW + dt.timedelta(hours=25)
    assert member.active is False
    hotfix = source(explanation, "additional privilege hotfix")
    assert hotfix.ends_at == NOW + dt.timedelta(hours=1) and hotfix.active is True
    assert source(explanation, "additional privilege no-prod-reads").active is True


async def test_deny_rule_overrides_allows_fully_or_partially(
    session: AsyncSession, project: Project
) -> None:
    rules = by_label(await ex.explain(session, project, BOT, NOW))

    hotfix_read, hotfix_edit = (
        next(r for r in rules["additional privilege hotfix"] if r.rule.actions == (a,))
        for a in ("read", "edit")
    )
    # "read prod secrets" is exactly what the deny takes away.
    assert hotfix_read.overridden == "fully"
    assert [o.source.label for o in hotfix_read.overridden_by] == [
        "additional privilege no-prod-reads"
    ]
    assert hotfix_edit.overridden is None
    # viewer's unconditional "read secrets" loses prod only.
    viewer_secrets = next(r for r in rules["direct role viewer"] if r.rule.subject == "secrets")
    assert viewer_secrets.overridden == "partially"
    assert viewer_secrets.overridden_by[0].fully is False
    deny = rules["additional privilege no-prod-reads"][0]
    assert deny.rule.inverted and deny.overridden is None


async def test_two_hours_later_the_privilege_has_ended_and_the_future_role_counts(
    session: AsyncSession, project: Project
) -> None:
    explanation = await ex.explain(session, project, BOT, LATER)

    assert source(explanation, "additional privilege hotfix").active is False
    assert source(explanation, "direct role member").active is True
    assert source(explanation, "direct role viewer").active is True
    # What the explanation calls active is what evaluation uses at that moment.
    evaluated = await project_rules(
        session, kind="identity", principal_id=BOT.id, project_id=project.id, now=LATER
    )
    assert sorted(map(repr, explanation.effective_rules)) == sorted(map(repr, evaluated))


async def test_user_gets_group_roles_named_by_group(
    session: AsyncSession, project: Project
) -> None:
    explanation = await ex.explain(session, project, USER, NOW)

    assert [s.label for s in explanation.sources] == [
        "direct role viewer",
        "group Engineering's role member",
        "group Engineering's role prod-guard",
    ]
    group_source = source(explanation, "group Engineering's role member")
    assert group_source.group == ex.GroupRef(uuid.UUID(ENGINEERING), "Engineering", "engineering")
    member_secrets = next(
        r
        for r in by_label(explanation)["group Engineering's role member"]
        if r.rule.subject == "secrets"
    )
    assert member_secrets.overridden == "partially"
    assert member_secrets.overridden_by[0].actions == ("delete",)


async def test_group_principal_is_explained_by_its_own_roles(
    session: AsyncSession, project: Project
) -> None:
    explanation = await ex.explain(
        session, project, ex.Principal("group", uuid.UUID(ENGINEERING)), NOW
    )
    assert [s.label for s in explanation.sources] == [
        "direct role member",
        "direct role prod-guard",
    ]


async def test_check_names_the_rules_that_decide_and_follows_the_clock(
    session: AsyncSession, project: Project
) -> None:
    edit_prod = await ex.check(
        session, project, BOT, action="edit", subject="secrets", fields=PROD, at=NOW
    )
    assert edit_prod.allowed is True
    assert [r.source.label for r in edit_prod.because] == ["additional privilege hotfix"]

    later = await ex.check(
        session, project, BOT, action="edit", subject="secrets", fields=PROD, at=LATER
    )
    assert later.allowed is True  # the future member role has started
    assert [r.source.label for r in later.because] == ["direct role member"]

    read_prod = await ex.check(
        session, project, BOT, action="read", subject="secrets", fields=PROD, at=NOW
    )
    assert read_prod.allowed is False
    assert [(r.effect, r.source.label) for r in read_prod.because] == [
        ("deny", "additional privilege no-prod-reads")
    ]

    nothing = await ex.check(
        session, project, BOT, action="delete", subject="groups", fields={}, at=NOW
    )
    assert (nothing.allowed, nothing.because) == (False, ())


async def test_check_without_fields_asks_whether_the_action_is_possible_at_all(
    session: AsyncSession, project: Project
) -> None:
    # A conditional deny does not refuse "may I read secrets at all?" (CASL semantics).
    result = await ex.check(
        session, project, BOT, action="read", subject="secrets", fields=None, at=NOW
    )
    assert result.allowed is True
    assert {r.source.label for r in result.because} == {
        "direct role viewer",
        "additional privilege hotfix",
    }


async def test_check_of_a_user_counts_the_group_deny(
    session: AsyncSession, project: Project
) -> None:
    result = await ex.check(
        session, project, USER, action="delete", subject="secrets", fields=PROD, at=NOW
    )
    assert result.allowed is False
    assert [r.source.label for r in result.because] == ["group Engineering's role prod-guard"]
    dev = {**PROD, "environment": "dev"}
    allowed = await ex.check(
        session, project, USER, action="delete", subject="secrets", fields=dev, at=NOW
    )
    assert allowed.allowed is True
    assert [r.source.label for r in allowed.because] == ["group Engineering's role member"]


async def test_check_agrees_with_ability_over_the_evaluated_rules(
    session: AsyncSession, project: Project
) -> None:
    for principal in (BOT, USER):
        for at in (NOW, LATER):
            rules = await project_rules(
                session,
                kind=principal.kind,
                principal_id=principal.id,
                project_id=project.id,
                now=at,
            )
            for action in ("read", "edit", "delete", "create"):
                for fields in (PROD, {**PROD, "environment": "dev"}, None):
                    result = await ex.check(
                        session,
                        project,
                        principal,
                        action=action,
                        subject="secrets",
                        fields=fields,
                        at=at,
                    )
                    assert result.allowed == Ability(rules).can(action, "secrets", fields)


async def test_authorize_needs_read_on_the_principals_kind(
    session: AsyncSession, project: Project
) -> None:
    assert await ex.authorize(session, actor(AUDITOR), project.id, BOT, NOW) == project
    assert await ex.authorize(session, actor(AUDITOR), project.id, USER, NOW) == project
    group = ex.Principal("group", uuid.UUID(ENGINEERING))
    with pytest.raises(PermissionDeniedError, match="read on groups"):
        await ex.authorize(session, actor(AUDITOR), project.id, group, NOW)
    with pytest.raises(PermissionDeniedError, match="read on identity"):
        await ex.authorize(session, actor(BLIND), project.id, BOT, NOW)
    assert await ex.authorize(session, actor(ADMIN), project.id, group, NOW) == project


async def test_other_orgs_project_and_principal_are_not_found(
    session: AsyncSession, project: Project
) -> None:
    with pytest.raises(ProjectNotFoundError):
        await ex.authorize(session, actor(ADMIN), uuid.UUID(OTHER_PROJECT), BOT, NOW)
    for principal in (
        ex.Principal("identity", uuid.UUID(OUTSIDER)),
        ex.Principal("user", uuid.UUID(THEIR_USER)),
        ex.Principal("identity", uuid.uuid4()),
    ):
        with pytest.raises(ex.PrincipalNotFoundError):
            await ex.authorize(session, actor(ADMIN), project.id, principal, NOW)


def test_decide_reports_matching_allows_or_denies() -> None:
    allow = Rule("secrets", ("read",))
    deny = Rule("secrets", ("read",), {"environment": {"$eq": "prod"}}, inverted=True)
    sourced = [(allow, "a"), (deny, "d")]
    assert ex.decide(sourced, "read", "secrets", {"environment": "dev"}) == (
        True,
        [("allow", allow, "a")],
    )
    assert ex.decide(sourced, "read", "secrets", {"environment": "prod"}) == (
        False,
        [("deny", deny, "d")],
    )


async def test_a_conditional_read_on_identity_explains_only_the_named_identity(
    session: AsyncSession, project: Project
) -> None:
    assert await ex.authorize(session, actor(SCOPED), project.id, BOT, NOW) == project
    other = ex.Principal("identity", uuid.UUID(AUDITOR))
    with pytest.raises(PermissionDeniedError):
        await ex.authorize(session, actor(SCOPED), project.id, other, NOW)


async def test_org_principal_outside_the_project_has_an_empty_explanation(
    session: AsyncSession, project: Project
) -> None:
    idle = ex.Principal("identity", uuid.UUID(IDLE))
    assert await ex.authorize(session, actor(ADMIN), project.id, idle, NOW) == project
    explanation = await ex.explain(session, project, idle, NOW)
    assert (explanation.sources, explanation.rules) == ((), ())
