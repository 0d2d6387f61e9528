"""What CSP's group services answer with, beside the services so the API layer reads
them without importing SQL."""

from __future__ import annotations

from dataclasses import dataclass

from rolegate.rbac.models import Group


@dataclass(frozen=True, slots=True)
class GroupRow:
    group: Group
    users_count: int
