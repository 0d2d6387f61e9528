"""ctrl-hub route class (content negotiation, 401 before the body) and the current actor.

A session token comes in ``X-Session-Token`` (the docs) or ``Authorization: Bearer``
(what HTTP clients default to); ``X-Session-Token`` wins when both are sent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from rolegate.api.credentials import credential
from rolegate.api.ctrlhub import negotiation
from rolegate.api.ctrlhub.errors import ERRORS, single
from rolegate.api.deps import current_time, path_uuid, required
from rolegate.api.routing import SurfaceRoute, request_session
from rolegate.rbac.actors import Actor
from rolegate.rbac.ctrlhub import sessions as session_tokens
from rolegate.rbac.ctrlhub.access import ActorInOrg

BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})
# Marks the catch-all route: it answers 404/405 and needs neither a token nor a body.
FALLBACK = {"x-rolegate-fallback": True}
MISSING_TOKEN = "A session token is required (X-Session-Token or Authorization: Bearer)"  # noqa: S105 - a message, not a secret


def session_token(request: Request) -> str | None:
    return credential(request, "x-session-token")


class CtrlHubRoute(SurfaceRoute):
    errors = ERRORS

    async def precheck(self, request: Request) -> Response | None:
        """Refuse what JSON:API content negotiation refuses, then a missing token.

        Both come before the body is parsed, so a client learns the real problem first.
        """
        if self.openapi_extra == FALLBACK:
            return None
        problem = negotiation.accept_problem(request.headers.get("accept"))
        if problem:
            return single(406, problem, source={"header": "Accept"})
        if request.method in BODY_METHODS:
            content_type = request.headers.get("content-type")
            if content_type is not None or await request.body():
                problem = negotiation.content_type_problem(content_type)
                if problem:
                    return single(415, problem, source={"header": "Content-Type"})
        if session_token(request) is None:
            return single(401, MISSING_TOKEN, source={"header": "X-Session-Token"})
        return None


async def current_actor(request: Request) -> Actor:
    token = required(session_token(request), MISSING_TOKEN)
    return await session_tokens.authenticate(request_session(request), token, current_time())


async def current_actor_in_org(request: Request) -> ActorInOrg:
    """The actor, and its access to the path's ``org_id``, in the token check's query
    (a malformed id loads no access: :func:`~rolegate.api.deps.path_uuid`)."""
    token = required(session_token(request), MISSING_TOKEN)
    org_id = path_uuid(request, "org_id")
    return await session_tokens.authenticate_in_org(
        request_session(request), token, org_id, current_time()
    )


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentActorInOrg = Annotated[ActorInOrg, Depends(current_actor_in_org)]
