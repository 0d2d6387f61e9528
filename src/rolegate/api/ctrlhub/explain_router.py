"""ctrl-hub routes that explain bindings: which apply to a user, and why.

Not in ctrl-hub; they follow its conventions (``/v3/orgs/{org_id}/iam/…`` paths, session
tokens, JSON:API documents and errors, content negotiation) so its tooling applies.
Mounted before the ctrl-hub router, whose catch-all would otherwise answer these paths.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from rolegate.api.ctrlhub import explain_documents as documents
from rolegate.api.ctrlhub import explain_schemas as s
from rolegate.api.ctrlhub.auth import CtrlHubRoute, CurrentActor
from rolegate.api.ctrlhub.errors import MEDIA_TYPE, JsonApiResponse
from rolegate.api.ctrlhub.schemas import ErrorDocument
from rolegate.api.deps import At, Session, current_time
from rolegate.api.security_schemes import CTRLHUB_AUTH
from rolegate.rbac.ctrlhub import explain as role_groups_explain

_ERROR = {"model": ErrorDocument, "content": {MEDIA_TYPE: {}}}
router = APIRouter(
    route_class=CtrlHubRoute,
    tags=["ctrl-hub: effective access"],
    default_response_class=JsonApiResponse,
    responses={
        code: {**_ERROR, "description": "JSON:API error document"}
        for code in (400, 401, 403, 404, 406, 500, 503, "default")
    },
    dependencies=CTRLHUB_AUTH,
)


@router.get(
    "/v3/orgs/{org_id}/iam/users/{user_id}/effective-bindings",
    summary="The bindings of a user's role groups, each with whether it applies and why",
)
async def user_effective_bindings(
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    actor: CurrentActor,
    session: Session,
    at: At = None,
) -> s.BindingsExplainDocument:
    now = current_time()
    explanation = await role_groups_explain.explain_user_bindings(
        session, actor, org_id=org_id, user_id=user_id, at=at or now, now=now
    )
    return documents.bindings_document(explanation)


@router.get(
    "/v3/orgs/{org_id}/iam/groups/{group_id}/bindings/explain",
    summary="One role group's bindings judged for one user",
)
async def explain_group_bindings(
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    user_id: Annotated[uuid.UUID, Query(description="The user to judge the bindings for")],
    actor: CurrentActor,
    session: Session,
    at: At = None,
) -> s.BindingsExplainDocument:
    now = current_time()
    explanation = await role_groups_explain.explain_group_bindings(
        session,
        actor,
        org_id=org_id,
        group_id=group_id,
        user_id=user_id,
        at=at or now,
        now=now,
    )
    return documents.bindings_document(explanation)
