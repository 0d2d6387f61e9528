"""The one table of permission subjects, their actions and their condition keys.

Everything that validates, evaluates or builds permission rules reads this table, so
adding a subject or an operator happens here and nowhere else. The content follows the
Infisical contract (``/work/shared/contract/infisical.md``, "Common").

Project-level and org-level rules share the table: several subjects (``groups``,
``identity``, ``member``, …) exist at both levels with the same actions, and keeping a
single spec per name means the two levels cannot drift apart. Which names are valid at
which level is given by :data:`PROJECT_SUBJECTS` and :data:`ORG_SUBJECTS`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

Scope = Literal["project", "org"]

EQ: Final = "$eq"
NE: Final = "$ne"
IN: Final = "$in"
GLOB: Final = "$glob"
#: Every operator the engine understands, in the order they are documented.
OPERATORS: Final[tuple[str, ...]] = (EQ, NE, IN, GLOB)

READ: Final = "read"
CREATE: Final = "create"
EDIT: Final = "edit"
DELETE: Final = "delete"
GRANT_PRIVILEGES: Final = "grant-privileges"
# Upstream's finer secret actions: ``read`` is their union (DescribeAndReadValue).
DESCRIBE_SECRET: Final = "describeSecret"  # noqa: S105 - an action name
READ_VALUE: Final = "readValue"
SUBSCRIBE: Final = "subscribe"
ASSUME_PRIVILEGES: Final = "assume-privileges"
REVOKE_AUTH: Final = "revoke-auth"
CREATE_TOKEN: Final = "create-token"  # noqa: S105 - an action name
GET_TOKEN: Final = "get-token"  # noqa: S105 - an action name
DELETE_TOKEN: Final = "delete-token"  # noqa: S105 - an action name
#: Canonical action order. Sets are unordered, but role listings and wire output must
#: be stable across processes, so anything that enumerates actions sorts by this.
ACTIONS: Final[tuple[str, ...]] = (
    READ,
    DESCRIBE_SECRET,
    READ_VALUE,
    CREATE,
    EDIT,
    DELETE,
    SUBSCRIBE,
    GRANT_PRIVILEGES,
    ASSUME_PRIVILEGES,
    REVOKE_AUTH,
    CREATE_TOKEN,
    GET_TOKEN,
    DELETE_TOKEN,
)

#: Actions that stand for several finer ones, per subject. Holding the composite holds
#: each part (an allow or a deny of ``read`` on secrets is one of ``describeSecret`` and
#: ``readValue`` too), and granting the composite grants every part.
IMPLIED_ACTIONS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = MappingProxyType(
    {("secrets", READ): (DESCRIBE_SECRET, READ_VALUE)}
)

#: Condition keys whose values are paths; the contract requires them to be absolute.
PATH_CONDITION_KEYS: Final = frozenset({"secretPath"})


@dataclass(frozen=True, slots=True)
class SubjectSpec:
    """What may be said about one subject.

    ``conditions`` maps each allowed condition key to the operators allowed on it.
    ``multi_valued_keys`` names keys whose field value is a list (a secret has several
    tags): matching uses "any element" semantics there, and the boundary check must
    never conclude that two conditions on such a key are disjoint, because one list can
    satisfy both.
    """

    actions: frozenset[str]
    conditions: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    multi_valued_keys: frozenset[str] = frozenset()


_CRUD = frozenset({READ, CREATE, EDIT, DELETE})
_CRUD_GRANT = _CRUD | {GRANT_PRIVILEGES}
# Upstream's current action lists (ProjectPermission*Actions), old actions kept.
_SECRET_ACTIONS = _CRUD | {DESCRIBE_SECRET, READ_VALUE, SUBSCRIBE}
_IDENTITY_ACTIONS = _CRUD_GRANT | {
    ASSUME_PRIVILEGES,
    REVOKE_AUTH,
    CREATE_TOKEN,
    GET_TOKEN,
    DELETE_TOKEN,
}
_MEMBER_ACTIONS = _CRUD_GRANT | {ASSUME_PRIVILEGES}
_ALL_OPS = frozenset(OPERATORS)
_NO_GLOB = frozenset({EQ, NE, IN})

_SECRET_LOCATION: Mapping[str, frozenset[str]] = MappingProxyType(
    {"environment": _ALL_OPS, "secretPath": _ALL_OPS}
)


def _plain(actions: frozenset[str]) -> SubjectSpec:
    return SubjectSpec(actions=actions)


_TABLE: dict[str, SubjectSpec] = {
    "secrets": SubjectSpec(
        actions=_SECRET_ACTIONS,
        conditions=MappingProxyType(
            {
                "environment": _ALL_OPS,
                "secretPath": _ALL_OPS,
                "secretName": _ALL_OPS,
                # A tag list is matched by overlap, so only set membership is meaningful.
                "secretTags": frozenset({IN}),
            }
        ),
        multi_valued_keys=frozenset({"secretTags"}),
    ),
    "secret-folders": SubjectSpec(actions=_CRUD, conditions=_SECRET_LOCATION),
    "secret-imports": SubjectSpec(actions=_CRUD, conditions=_SECRET_LOCATION),
    "identity": SubjectSpec(
        actions=_IDENTITY_ACTIONS,
        conditions=MappingProxyType({"identityId": _NO_GLOB}),
    ),
    "member": _plain(_MEMBER_ACTIONS),
    "groups": _plain(_CRUD_GRANT),
    "role": _plain(_CRUD),
    "settings": _plain(_CRUD),
    "integrations": _plain(_CRUD),
    "webhooks": _plain(_CRUD),
    "service-tokens": _plain(_CRUD),
    "environments": _plain(_CRUD),
    "tags": _plain(_CRUD),
    "audit-logs": _plain(_CRUD),
    "ip-allowlist": _plain(_CRUD),
    "workspace": _plain(_CRUD),
    "kms": _plain(_CRUD),
    "project-templates": _plain(_CRUD),
}

#: Every known subject, in a stable order (built-in roles are listed in this order).
SUBJECTS: Final[Mapping[str, SubjectSpec]] = MappingProxyType(_TABLE)

#: Subjects a project role, project privilege or project template role may name.
PROJECT_SUBJECTS: Final[frozenset[str]] = frozenset(_TABLE) - {"project-templates"}

#: Subjects an org-level role may name.
ORG_SUBJECTS: Final[frozenset[str]] = frozenset(
    {
        "project-templates",
        "groups",
        "identity",
        "member",
        "role",
        "settings",
        "workspace",
        "audit-logs",
    }
)


def subjects_in_scope(scope: Scope) -> frozenset[str]:
    """The subject names valid at ``scope``."""
    return PROJECT_SUBJECTS if scope == "project" else ORG_SUBJECTS


def ordered_actions(actions: Iterable[str]) -> tuple[str, ...]:
    """``actions`` in canonical order; unknown names (none in practice) go last, sorted."""
    given = set(actions)
    known = tuple(action for action in ACTIONS if action in given)
    return known + tuple(sorted(given - set(ACTIONS)))


@functools.lru_cache(maxsize=4096)
def with_implied(subject: str, actions: tuple[str, ...]) -> tuple[str, ...]:
    """``actions`` plus every finer action one of them stands for on ``subject``.

    Cached: a grant check and an evaluation expand every rule of the actor, and the
    built-in roles' rules (most of them) repeat on every request.
    """
    expanded: list[str] = []
    for action in actions:
        for name in (action, *IMPLIED_ACTIONS.get((subject, action), ())):
            if name not in expanded:
                expanded.append(name)
    return tuple(expanded)
