"""Who is acting. Built by a surface's auth from a verified credential."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

PrincipalKind = Literal["identity", "user", "service_account"]


@dataclass(frozen=True, slots=True)
class Actor:
    kind: PrincipalKind
    id: uuid.UUID
    org_id: uuid.UUID
    surface: str
    token_id: uuid.UUID | None = None
    org_role: str | None = None  # a machine identity's Infisical org role

    @property
    def audit_id(self) -> str:
        return str(self.id)
