"""Domain errors. They carry no HTTP: each surface's ``errors.py`` maps them to a status and
its own envelope. Messages are the vendor strings clients match on, so keep them exact."""

from __future__ import annotations

from typing import Any


class RbacError(Exception):
    """Base of every expected failure of the core."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(RbacError):
    """Something the actor asked for does not exist (or is in another tenant)."""


class ProjectNotFoundError(NotFoundError):
    pass


class GroupNotFoundError(NotFoundError):
    pass


class IdentityNotFoundError(NotFoundError):
    pass


class UserNotFoundError(NotFoundError):
    pass


class RoleNotFoundError(NotFoundError):
    pass


class PrivilegeNotFoundError(NotFoundError):
    pass


class TemplateNotFoundError(NotFoundError):
    pass


class OrganizationNotFoundError(NotFoundError):
    pass


class PermissionDeniedError(RbacError):
    """The actor lacks the permission the operation needs."""


class PermissionBoundaryError(RbacError):
    """The actor would grant (or take away) more than it holds itself."""

    def __init__(self, message: str, missing: list[dict[str, Any]]) -> None:
        super().__init__(message, missingPermissions=missing)
        self.missing = missing


class OrgBoundaryError(PermissionDeniedError):
    """The actor would grant, take away or reach a member into an org role it does not
    hold itself (rolegate.rbac.org_boundary)."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message, missingRoles=missing)
        self.missing = missing


class ConflictError(RbacError):
    """The request is well formed but contradicts the current state (e.g. a taken slug)."""


class BadRequestError(RbacError):
    """The request is well formed but not acceptable (a business rule refuses it)."""


class InvalidInputError(RbacError):
    """Input the core validates itself (rule sets, durations) with a path into the body."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(str(i["message"]) for i in issues))
        self.issues = issues


class AuthenticationError(RbacError):
    """A credential is missing, malformed, expired, revoked or for another surface."""


class InvalidCredentialsError(AuthenticationError):
    pass
