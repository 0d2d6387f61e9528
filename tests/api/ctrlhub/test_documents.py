"""The JSON:API document builder (rolegate.api.ctrlhub.documents), without HTTP or DB."""

from __future__ import annotations

import uuid

from rolegate.api.ctrlhub import documents
from rolegate.rbac.ctrlhub.views import BindingView, GroupsPage, GroupView, MemberView
from rolegate.rbac.models import Group, User

ORG = uuid.uuid4()


def user(email: str, **profile: object) -> User:
    return User(id=uuid.uuid4(), org_id=ORG, email=email, profile=dict(profile), attributes={})


def group(name: str) -> Group:
    return Group(id=uuid.uuid4(), org_id=ORG, name=name, slug=name.lower(), description="")


def test_group_document_includes_exactly_the_linked_users_in_linkage_order() -> None:
    ann, bob = user("ann@x.test"), user("bob@x.test", work={"occupation": "Welder"})
    view = GroupView(
        group=group("Crew"),
        bindings=[
            BindingView(id=uuid.uuid4(), role="developer", condition={"gate": "OR", "rules": []})
        ],
        members=[MemberView(ann, ["org_member"]), MemberView(bob, [])],
    )
    doc = documents.group_document(view).model_dump()
    linked = doc["data"]["relationships"]["users"]["data"]
    assert linked == [{"id": str(ann.id), "type": "users"}, {"id": str(bob.id), "type": "users"}]
    assert [(u["type"], u["id"]) for u in doc["included"]] == [(x["type"], x["id"]) for x in linked]
    assert doc["included"][1]["attributes"]["profile"] == {"work": {"occupation": "Welder"}}
    assert doc["included"][0]["meta"] == {"grants": ["org_member"]}
    assert doc["data"]["attributes"]["bindings"][0]["condition"] == {"gate": "OR", "rules": []}
    assert doc["jsonapi"] == {"version": "1.0"}


def test_list_document_includes_a_user_linked_from_two_groups_once() -> None:
    ann, bob, cid = user("ann@x.test"), user("bob@x.test"), user("cid@x.test")
    views = [
        GroupView(group("A"), [], [MemberView(ann, []), MemberView(bob, [])]),
        GroupView(group("B"), [], [MemberView(bob, []), MemberView(cid, [])]),
        GroupView(group("C"), [], []),
    ]
    page = GroupsPage(groups=views, total=3, offset=0, limit=100)
    doc = documents.group_list_document(page, "/v3/orgs/o/iam/groups").model_dump()
    assert [u["id"] for u in doc["included"]] == [str(ann.id), str(bob.id), str(cid.id)]


def test_included_users_leaves_out_unlinked_and_non_user_resources() -> None:
    ann, bob = user("ann@x.test"), user("bob@x.test")
    linked = [documents.identifier("users", ann.id), documents.identifier("teams", bob.id)]
    included = documents.included_users(linked, [MemberView(ann, []), MemberView(bob, [])])
    assert [u.id for u in included] == [str(ann.id)]


def test_stored_condition_without_rules_renders_an_empty_rule_list() -> None:
    view = BindingView(id=uuid.uuid4(), role="developer", condition={"gate": "AND"})
    assert documents.binding(view).model_dump()["condition"] == {"gate": "AND", "rules": []}
