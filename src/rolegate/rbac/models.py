"""The shared RBAC store: one set of tables that all three vendor surfaces read and write.

Design notes (why, not what):
- ``role_assignments`` is the single table for every grant of a role, whatever surface
  made it: an Infisical project role of a group, a CSP organization/custom/service role,
  a ctrl-hub conditional binding. ``surface`` records who made it so that a surface's PATCH
  only replaces its own rows while permission evaluation counts all of them.
- Built-in roles (Infisical's admin/member/viewer/no-access, CSP's org_owner, ...) live in
  code, so an assignment names them by ``role_key``; custom roles are rows in ``roles``
  and an assignment points at them with ``role_id`` (``role_key`` then says ``custom``).
- Time windows are ``starts_at``/``ends_at``; an assignment counts only while
  ``starts_at <= now < ends_at`` (either bound may be open).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import Identity as GeneratedIdentity
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rolegate.db import Base, Timestamps, UUIDPrimaryKey

SURFACES = ("infisical", "csp", "ctrlhub")
ASSIGNMENT_KINDS = ("project", "organization", "custom", "service", "binding")


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Mapped[Any]:
    return mapped_column(
        UUID(as_uuid=True),
        ForeignKey(target, ondelete="CASCADE"),
        nullable=nullable,
        index=index,
    )


class Organization(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(64), unique=True)


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    org_id: Mapped[uuid.UUID] = _fk("organizations.id")
    email: Mapped[str] = mapped_column(String(320))
    # ctrl-hub's profile document (personal/work/contact/...) and condition attributes.
    profile: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class Identity(UUIDPrimaryKey, Timestamps, Base):
    """An Infisical machine identity."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("org_id", "name"),
        CheckConstraint("org_role IN ('admin', 'member', 'no-access')", name="org_role"),
    )

    org_id: Mapped[uuid.UUID] = _fk("organizations.id")
    name: Mapped[str] = mapped_column(String(255))
    org_role: Mapped[str] = mapped_column(String(32), default="no-access")


class UniversalAuthCredential(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "universal_auth_credentials"

    identity_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("identities.id", ondelete="CASCADE"), unique=True
    )
    client_id: Mapped[str] = mapped_column(String(255), unique=True)
    # argon2id: client secrets may be human-chosen (the seed file), so a slow hash.
    client_secret_hash: Mapped[str] = mapped_column(Text)
    access_token_ttl: Mapped[int] = mapped_column(Integer, default=7200)
    access_token_max_ttl: Mapped[int] = mapped_column(Integer, default=2592000)


class Group(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "groups"
    __table_args__ = (
        UniqueConstraint("org_id", "slug"),
        # ctrl-hub's paged group list reads an org's groups by name then id.
        Index("ix_groups_org_id_name_id", "org_id", "name", "id"),
    )

    org_id: Mapped[uuid.UUID] = _fk("organizations.id")
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # One table holds every surface's groups, and only CSP promises a name unique in the
    # org (ctrl-hub names need not be): the groups CSP creates claim their name here, so
    # that of concurrent CSP creates of one name only one commits
    # (uq_groups_org_id_lower_name). A rename on ctrl-hub, which promises no uniqueness,
    # gives the claim up.
    unique_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")

    members: Mapped[list[GroupMember]] = relationship(lazy="raise", passive_deletes=True)


Index(
    "uq_groups_org_id_lower_name",
    Group.org_id,
    func.lower(Group.name),
    unique=True,
    postgresql_where=Group.unique_name,
)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )


class Project(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("org_id", "slug"),)

    org_id: Mapped[uuid.UUID] = _fk("organizations.id")
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)


class Environment(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "environments"
    __table_args__ = (
        UniqueConstraint("project_id", "slug"),
        UniqueConstraint("project_id", "name"),
    )

    project_id: Mapped[uuid.UUID] = _fk("projects.id", index=False)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)


class ServiceDefinition(UUIDPrimaryKey, Timestamps, Base):
    """A CSP service; the roles it declares are ``roles`` rows with scope ``service``."""

    __tablename__ = "service_definitions"

    org_id: Mapped[uuid.UUID] = _fk("organizations.id")
    name: Mapped[str] = mapped_column(String(255))


class Role(UUIDPrimaryKey, Timestamps, Base):
    """A custom role: an org custom role, a project role or a service role."""

    __tablename__ = "roles"
    __table_args__ = (
        CheckConstraint("scope IN ('org', 'project', 'service')", name="scope"),
        CheckConstraint(
            "(scope = 'project') = (project_id IS NOT NULL)"
            " AND (scope = 'service') = (service_definition_id IS NOT NULL)",
            name="scope_target",
        ),
        # Uniqueness per scope: partial indexes, because NULLs never collide in a plain one.
        Index(
            "uq_roles_project_slug",
            "project_id",
            "slug",
            unique=True,
            postgresql_where=text("scope = 'project'"),
        ),
        Index(
            "uq_roles_org_name",
            "org_id",
            "name",
            unique=True,
            postgresql_where=text("scope = 'org'"),
        ),
        Index(
            "uq_roles_service_name",
            "service_definition_id",
            "name",
            unique=True,
            postgresql_where=text("scope = 'service'"),
        ),
    )

    org_id: Mapped[uuid.UUID] = _fk("organizations.id")
    scope: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[uuid.UUID | None] = _fk("projects.id", nullable=True, index=False)
    service_definition_id: Mapped[uuid.UUID | None] = _fk(
        "service_definitions.id", nullable=True, index=False
    )
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Canonical unpacked CASL rules (rolegate.rbac.permissions.rules.rules_to_json).
    permissions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]"
    )


class ProjectMembership(UUIDPrimaryKey, Timestamps, Base):
    """A user, machine identity or group being a member of a project (Infisical)."""

    __tablename__ = "project_memberships"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(user_id, identity_id, group_id) = 1", name="exactly_one_principal"
        ),
        UniqueConstraint("project_id", "user_id"),
        UniqueConstraint("project_id", "identity_id"),
        UniqueConstraint("project_id", "group_id"),
    )

    project_id: Mapped[uuid.UUID] = _fk("projects.id", index=False)
    user_id: Mapped[uuid.UUID | None] = _fk("users.id", nullable=True)
    identity_id: Mapped[uuid.UUID | None] = _fk("identities.id", nullable=True)
    group_id: Mapped[uuid.UUID | None] = _fk("groups.id", nullable=True)


class RoleAssignment(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(project_membership_id, group_id, user_id) = 1",
            name="exactly_one_holder",
        ),
        CheckConstraint("surface IN ('infisical', 'csp', 'ctrlhub')", name="surface"),
        CheckConstraint(
            "kind IN ('project', 'organization', 'custom', 'service', 'binding')", name="kind"
        ),
        CheckConstraint("(role_key = 'custom') = (role_id IS NOT NULL)", name="custom_has_role"),
        CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at", name="window_order"
        ),
        Index("ix_role_assignments_group_surface", "group_id", "surface"),
    )

    org_id: Mapped[uuid.UUID] = _fk("organizations.id", index=False)
    surface: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    project_membership_id: Mapped[uuid.UUID | None] = _fk("project_memberships.id", nullable=True)
    group_id: Mapped[uuid.UUID | None] = _fk("groups.id", nullable=True, index=False)
    user_id: Mapped[uuid.UUID | None] = _fk("users.id", nullable=True)
    role_key: Mapped[str] = mapped_column(String(255))
    role_id: Mapped[uuid.UUID | None] = _fk("roles.id", nullable=True)
    service_definition_id: Mapped[uuid.UUID | None] = _fk(
        "service_definitions.id", nullable=True, index=False
    )
    resource: Mapped[str | None] = mapped_column(Text)
    is_temporary: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    temporary_mode: Mapped[str | None] = mapped_column(String(16))
    temporary_range: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # ctrl-hub binding condition: {"gate": "AND"|"OR", "rules": [...]}.
    condition: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[str | None] = mapped_column(String(255))
    updated_by: Mapped[str | None] = mapped_column(String(255))


class AdditionalPrivilege(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "additional_privileges"
    __table_args__ = (UniqueConstraint("project_membership_id", "slug"),)

    project_membership_id: Mapped[uuid.UUID] = _fk("project_memberships.id", index=False)
    slug: Mapped[str] = mapped_column(String(60))
    permissions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]"
    )
    is_temporary: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    temporary_mode: Mapped[str | None] = mapped_column(String(16))
    temporary_range: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ProjectTemplate(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "project_templates"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    org_id: Mapped[uuid.UUID] = _fk("organizations.id", index=False)
    name: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    roles: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    environments: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]"
    )


class CspApiToken(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "csp_api_tokens"

    user_id: Mapped[uuid.UUID] = _fk("users.id")
    # SHA-256 of a high-entropy token: looked up on every exchange, so a fast hash.
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SessionToken(UUIDPrimaryKey, Timestamps, Base):
    """ctrl-hub session tokens (opaque, stored hashed)."""

    __tablename__ = "session_tokens"

    user_id: Mapped[uuid.UUID] = _fk("users.id")
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ServiceAccount(UUIDPrimaryKey, Timestamps, Base):
    """A ctrl-hub service account: a machine principal of one org with OAuth2 client
    credentials. Its authority is ``org_roles`` (fixed catalogue role names), not group
    membership: ctrl-hub groups hold users only."""

    __tablename__ = "service_accounts"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    org_id: Mapped[uuid.UUID] = _fk("organizations.id")
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    client_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Hashed like Infisical's client secrets (rbac.ctrlhub.service_accounts holds the call).
    client_secret_hash: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    org_roles: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")


class AccessToken(Base):
    """Every JWT rolegate mints, by its ``jti``: what makes a token revocable."""

    __tablename__ = "access_tokens"
    __table_args__ = (
        CheckConstraint("surface IN ('infisical', 'csp', 'ctrlhub')", name="surface"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    surface: Mapped[str] = mapped_column(String(16))
    principal_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(UUIDPrimaryKey, Base):
    """One accepted change. Events are listed by ``seq``, their commit order.

    Every write inserts its event after it holds the row locks it writes under, and
    keeps them until it commits; so two events of one row draw ``seq`` (and
    ``created_at``, the clock at the insert, not the transaction's start) in the order
    their changes committed. A request's start time would order a PATCH that queued
    behind others before them.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_created", "org_id", "created_at"),
        Index("ix_audit_events_org_id_seq", "org_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, GeneratedIdentity(), unique=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    surface: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any | None] = mapped_column(JSONB)
    after: Mapped[Any | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(64))


class NotificationOutbox(UUIDPrimaryKey, Base):
    __tablename__ = "notification_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index(
            "ix_notification_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    org_id: Mapped[uuid.UUID] = _fk("organizations.id", index=False)
    group_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class IdempotencyKey(Base):
    """First response to an ``Idempotency-Key``, replayed for 24 h (opt-in feature)."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # Who sent it: the same key from two credentials is two different keys.
    principal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class RateLimitBucket(Base):
    """Fixed-window request counters per credential, shared by every replica (opt-in)."""

    __tablename__ = "rate_limit_buckets"

    bucket: Mapped[str] = mapped_column(String(255), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
