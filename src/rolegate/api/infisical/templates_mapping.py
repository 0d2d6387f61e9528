"""Project templates: wire requests → core specs, stored rows → wire (endpoint C)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rolegate.api.infisical import templates_schemas as s
from rolegate.api.infisical.permission_wire import Issues, collect_rules, rules_out
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.infisical.projects import ProjectRead, ProjectView
from rolegate.rbac.infisical.templates import (
    EnvironmentSpec,
    TemplateChanges,
    TemplateRoleSpec,
    environment_issues,
    name_issues,
    role_issues,
)
from rolegate.rbac.infisical.views import TemplateFields
from rolegate.rbac.permissions.builtin_roles import BUILTIN_PROJECT_ROLES
from rolegate.rbac.permissions.rules import rules_to_json


def _builtin_roles() -> list[s.TemplateRole]:
    return [
        s.TemplateRole(
            name=role.name, slug=role.slug, permissions=rules_out(rules_to_json(role.rules))
        )
        for role in BUILTIN_PROJECT_ROLES.values()
    ]


def template(row: TemplateFields) -> s.ProjectTemplate:
    """Built-in roles (with their full rules) first, then the template's own."""
    custom = [
        s.TemplateRole(
            name=role["name"], slug=role["slug"], permissions=rules_out(role["permissions"])
        )
        for role in row.roles
    ]
    return s.ProjectTemplate(
        id=row.id,
        name=row.name,
        description=row.description,
        roles=[*_builtin_roles(), *custom],
        environments=[
            s.TemplateEnvironment.model_validate(env)
            for env in sorted(row.environments, key=lambda env: env["position"])
        ],
        orgId=row.org_id,
        createdAt=row.created_at,
        updatedAt=row.updated_at,
    )


def _roles(
    given: Sequence[s.TemplateRoleInput] | None, issues: Issues
) -> list[TemplateRoleSpec] | None:
    if given is None:
        return None
    specs = []
    for index, role in enumerate(given):
        rules = collect_rules(role.permissions, ("roles", index, "permissions"), issues)
        specs.append(TemplateRoleSpec(name=role.name, slug=role.slug, rules=tuple(rules or ())))
    return specs


def _environments(given: Sequence[s.EnvironmentInput] | None) -> list[EnvironmentSpec] | None:
    if given is None:
        return None
    return [EnvironmentSpec(name=e.name, slug=e.slug, position=e.position) for e in given]


def _parsed(
    name: str | None,
    roles: Sequence[s.TemplateRoleInput] | None,
    environments: Sequence[s.EnvironmentInput] | None,
) -> tuple[list[TemplateRoleSpec] | None, list[EnvironmentSpec] | None]:
    issues: Issues = []
    role_specs = _roles(roles, issues)
    env_specs = _environments(environments)
    if issues:
        # Report the core's body rules along with the rule errors: one 422 lists them all.
        rest: list[dict[str, Any]] = (
            name_issues(name) + role_issues(role_specs) + environment_issues(env_specs)
        )
        raise InvalidInputError(issues + rest)
    return role_specs, env_specs


def changes(body: s.UpdateProjectTemplateRequest) -> TemplateChanges:
    roles, environments = _parsed(body.name, body.roles, body.environments)
    return TemplateChanges(
        name=body.name, description=body.description, roles=roles, environments=environments
    )


def creation(
    body: s.CreateProjectTemplateRequest,
) -> tuple[list[TemplateRoleSpec], list[EnvironmentSpec] | None]:
    roles, environments = _parsed(body.name, body.roles, body.environments)
    return roles or [], environments


def project(view: ProjectView) -> s.Project:
    return s.Project(
        id=view.project.id,
        name=view.project.name,
        slug=view.project.slug,
        description=view.project.description,
        type=s.PROJECT_TYPE,
        orgId=view.project.org_id,
        template=view.template,
        environments=[
            s.ProjectEnvironment(id=e.id, name=e.name, slug=e.slug, position=e.position)
            for e in view.environments
        ],
        roles=[
            s.ProjectRole(id=r.id, name=r.name, slug=r.slug, permissions=rules_out(r.permissions))
            for r in view.roles
        ],
        createdAt=view.project.created_at,
        updatedAt=view.project.updated_at,
    )


def project_read(read: ProjectRead) -> s.ProjectWithEnvironments:
    return s.ProjectWithEnvironments(
        id=read.project.id,
        name=read.project.name,
        slug=read.project.slug,
        description=read.project.description,
        type=s.PROJECT_TYPE,
        orgId=read.project.org_id,
        environments=[
            s.ProjectEnvironment(id=e.id, name=e.name, slug=e.slug, position=e.position)
            for e in read.environments
        ],
        createdAt=read.project.created_at,
        updatedAt=read.project.updated_at,
    )
