"""Infisical routes: project templates (endpoint C and siblings) and project creation."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from rolegate.api.deps import Session, current_time
from rolegate.api.infisical import templates_mapping as mapping
from rolegate.api.infisical import templates_schemas as s
from rolegate.api.infisical.auth import CurrentActor, InfisicalRoute
from rolegate.api.infisical.errors import InfisicalError
from rolegate.api.routing import error_responses
from rolegate.api.safe_update import READ_ETAG, SafeWrite
from rolegate.api.safe_update_openapi import (
    READ_ETAG_RESPONSES,
    SAFE_WRITE_OPENAPI,
    WRITE_ETAG_RESPONSES,
)
from rolegate.api.security_schemes import INFISICAL_AUTH
from rolegate.rbac.infisical import projects, templates
from rolegate.rbac.infisical.views import TemplateFields

BASE = "/api/v1/project-templates"

router = APIRouter(
    route_class=InfisicalRoute,
    tags=["Infisical"],
    responses=error_responses(InfisicalError, 400, 401, 403, 404, 422, 500, 503),
    dependencies=INFISICAL_AUTH,
)


@router.post(BASE, summary="Create a project template")
async def create_project_template(
    body: s.CreateProjectTemplateRequest, actor: CurrentActor, session: Session
) -> s.ProjectTemplateResponse:
    roles, environments = mapping.creation(body)
    row = await templates.create_template(
        session,
        actor,
        name=body.name,
        description=body.description,
        roles=roles,
        environments=environments,
        now=current_time(),
    )
    return s.ProjectTemplateResponse(projectTemplate=mapping.template(row))


@router.get(
    BASE,
    summary="List the organization's project templates",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def list_project_templates(
    actor: CurrentActor, session: Session
) -> s.ProjectTemplateListResponse:
    rows = await templates.list_templates(session, actor, now=current_time())
    return s.ProjectTemplateListResponse(projectTemplates=[mapping.template(r) for r in rows])


def _template_response(row: TemplateFields) -> s.ProjectTemplateResponse:
    """The representation of one template: what its GET returns (and its ETag hashes)."""
    return s.ProjectTemplateResponse(projectTemplate=mapping.template(row))


@router.get(
    f"{BASE}/{{templateId}}",
    summary="Get a project template",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def get_project_template(
    templateId: uuid.UUID, actor: CurrentActor, session: Session
) -> s.ProjectTemplateResponse:
    row = await templates.get_template(session, actor, template_id=templateId, now=current_time())
    return _template_response(row)


@router.patch(
    f"{BASE}/{{templateId}}",
    summary="Update a project template",
    openapi_extra=SAFE_WRITE_OPENAPI,
    responses={**error_responses(InfisicalError, 412), **WRITE_ETAG_RESPONSES},
)
async def update_project_template(
    templateId: uuid.UUID,
    body: s.UpdateProjectTemplateRequest,
    actor: CurrentActor,
    write: SafeWrite,
    session: Session,
) -> s.ProjectTemplateResponse:
    row = await templates.update_template(
        session,
        actor,
        template_id=templateId,
        changes=mapping.changes(body),
        now=current_time(),
        before_write=write.precondition(_template_response),
    )
    response = _template_response(row)
    write.set_etag(response)
    return response


@router.delete(f"{BASE}/{{templateId}}", summary="Delete a project template")
async def delete_project_template(
    templateId: uuid.UUID, actor: CurrentActor, session: Session
) -> s.ProjectTemplateResponse:
    row = await templates.delete_template(
        session, actor, template_id=templateId, now=current_time()
    )
    return s.ProjectTemplateResponse(projectTemplate=mapping.template(row))


@router.post("/api/v2/workspace", summary="Create a project, optionally from a template")
async def create_project(
    body: s.CreateProjectRequest, actor: CurrentActor, session: Session
) -> s.CreateProjectResponse:
    view = await projects.create_project(
        session,
        actor,
        name=body.projectName,
        slug=body.slug,
        template_name=body.template,
        description=body.projectDescription,
        now=current_time(),
    )
    return s.CreateProjectResponse(project=mapping.project(view))


@router.get("/api/v2/workspace/{slug}", summary="Get a project by its slug")
async def get_project(
    slug: Annotated[str, Path(min_length=1, max_length=64)], actor: CurrentActor, session: Session
) -> s.ProjectWithEnvironments:
    read = await projects.get_project_by_slug(session, actor, slug, current_time())
    return mapping.project_read(read)
