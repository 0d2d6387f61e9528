"""Core views → JSON:API documents (the only place ctrl-hub responses are built).

No maintained JSON:API library fits pydantic v2 and our route class (the candidates on
PyPI are framework plug-ins with their own data layers, or v1-era models), so the few
JSON:API rules we need live here, tested in tests/api/ctrlhub/test_documents.py:
- every resource linked from primary data appears in ``included`` exactly once
  (full linkage, no duplicates), and nothing else does;
- ``jsonapi: {"version": "1.0"}`` on every document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rolegate.api.ctrlhub import schemas as s
from rolegate.rbac.ctrlhub.views import (
    BindingView,
    CatalogueRole,
    GroupsPage,
    GroupView,
    MembersPage,
    MemberView,
)
from rolegate.rbac.permissions.conditions import UNCONDITIONAL


def identifier(type_: str, id_: object) -> s.Identifier:
    return s.Identifier(id=str(id_), type=type_)


def _condition(raw: dict[str, object]) -> s.ConditionOut:
    rules = raw.get("rules")
    return s.ConditionOut(
        gate=str(raw.get("gate", UNCONDITIONAL["gate"])),
        rules=[s.RuleOut.model_validate(r) for r in rules] if isinstance(rules, list) else [],
    )


def binding(view: BindingView) -> s.BindingOut:
    return s.BindingOut(id=str(view.id), role=view.role, condition=_condition(view.condition))


def group_resource(view: GroupView) -> s.GroupResource:
    return s.GroupResource(
        id=str(view.group.id),
        attributes=s.GroupAttributes(
            name=view.group.name,
            description=view.group.description,
            bindings=[binding(b) for b in view.bindings],
        ),
        relationships=s.GroupRelationships(
            service_accounts=s.ToMany(data=[]),
            users=s.ToMany(data=[identifier("users", m.user.id) for m in view.members]),
        ),
    )


def user_resource(member: MemberView) -> s.UserResource:
    user = member.user
    return s.UserResource(
        id=str(user.id),
        attributes=s.UserAttributes(email=user.email, identities=[], profile=user.profile or {}),
        meta=s.UserMeta(grants=member.grants),
        relationships=s.UserRelationships(
            organisations=s.ToMany(data=[identifier("organisations", user.org_id)]),
            teams=s.ToMany(data=[]),
        ),
    )


def included_users(
    linked: Iterable[s.Identifier], members: Iterable[MemberView]
) -> list[s.UserResource]:
    """Exactly the linked users, once each, in order of first linkage."""
    by_id = {str(m.user.id): m for m in members}
    seen: set[str] = set()
    included = []
    for ref in linked:
        if ref.type != "users" or ref.id in seen or ref.id not in by_id:
            continue
        seen.add(ref.id)
        included.append(user_resource(by_id[ref.id]))
    return included


def group_document(view: GroupView) -> s.GroupDocument:
    data = group_resource(view)
    return s.GroupDocument(
        data=data, included=included_users(data.relationships.users.data, view.members)
    )


def group_list_document(page: GroupsPage, path: str) -> s.GroupListDocument:
    """One page of groups; ``included`` holds the users of this page's groups only."""
    data = [group_resource(v) for v in page.groups]
    linked = [ref for resource in data for ref in resource.relationships.users.data]
    members = [m for v in page.groups for m in v.members]
    meta, links = _paging(path, page.offset, page.limit, len(data), page.total)
    return s.GroupListDocument(
        data=data, included=included_users(linked, members), meta=meta, links=links
    )


def members_document(view: GroupView) -> s.MembersDocument:
    data = [identifier("users", m.user.id) for m in view.members]
    return s.MembersDocument(data=data, included=included_users(data, view.members))


def _page_link(path: str, offset: int, limit: int) -> str:
    return f"{path}?limit={limit}&offset={offset}"


def _paging(
    path: str, offset: int, limit: int, shown: int, total: int
) -> tuple[s.PageMeta, s.PageLinks]:
    """``meta.pagination`` and ``links`` of one page: the next page starts after the
    last resource shown, the previous one a ``limit`` earlier (null at either end)."""
    shown_until = offset + shown
    next_offset = shown_until if shown_until < total else None
    previous_offset = max(0, offset - limit) if offset > 0 else None
    meta = s.PageMeta(
        pagination=s.Pagination(
            current_page=offset // limit + 1,
            counts=s.PageCounts(resources=total, pages=-(-total // limit)),
            requested=s.PageRequested(offset=offset, limit=limit),
            offsets=s.PageOffsets(previous=previous_offset, next=next_offset),
            offset=offset,
            limit=limit,
            total=total,
        )
    )
    links = s.PageLinks(
        self=_page_link(path, offset, limit),
        next=_page_link(path, next_offset, limit) if next_offset is not None else None,
        prev=_page_link(path, previous_offset, limit) if previous_offset is not None else None,
    )
    return meta, links


def org_members_document(page: MembersPage, path: str) -> s.OrgMembersDocument:
    """The org's users as primary data (nothing to include: they link no other resource
    that rolegate serves), paged with the SDK's ``limit``/``offset``."""
    data = [user_resource(m) for m in page.members]
    meta, links = _paging(path, page.offset, page.limit, len(data), page.total)
    return s.OrgMembersDocument(data=data, meta=meta, links=links)


def roles_document(roles: Sequence[CatalogueRole]) -> s.RolesDocument:
    return s.RolesDocument(
        data=[
            s.RoleResource(
                id=r.id,
                attributes=s.RoleAttributes(
                    name=r.name, description=r.description, custom=r.custom
                ),
            )
            for r in roles
        ]
    )
