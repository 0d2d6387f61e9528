"""The order a snapshot refills tables in: every table after the tables it references."""

from __future__ import annotations

import pytest

from rolegate.rbac.errors import BadRequestError
from rolegate.rbac.testmode.snapshots import check_name, insert_order


def test_parents_come_before_the_tables_that_reference_them() -> None:
    references = {"members": {"groups", "users"}, "groups": {"orgs"}, "users": {"orgs"}}
    order = insert_order(["members", "users", "groups", "orgs"], references)
    assert order.index("orgs") < order.index("groups") < order.index("members")
    assert order.index("users") < order.index("members")
    assert sorted(order) == ["groups", "members", "orgs", "users"]


def test_a_self_reference_needs_no_order() -> None:
    assert insert_order(["groups"], {"groups": {"groups"}}) == ["groups"]


def test_a_reference_outside_the_store_is_ignored() -> None:
    assert insert_order(["a"], {"a": {"elsewhere"}}) == ["a"]


def test_a_cycle_between_tables_is_refused() -> None:
    with pytest.raises(RuntimeError, match="cycle"):
        insert_order(["a", "b"], {"a": {"b"}, "b": {"a"}})


@pytest.mark.parametrize("name", ["", "A", "a-b", "a" * 41, "ä", "a b"])
def test_a_snapshot_name_outside_a_z_0_9_underscore_is_refused(name: str) -> None:
    with pytest.raises(BadRequestError):
        check_name(name)
