"""Wire types of the /_rolegate routes (camelCase, like the surfaces they sit beside)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClockRequest(Wire):
    now: AwareDatetime | None = Field(
        default=None, description="Move the clock to this instant (RFC 3339, with a zone)"
    )
    advance: str | None = Field(
        default=None, description="Move the clock forward by this duration: 90s, 2h, 7d"
    )
    frozen: bool = Field(
        default=False,
        description="With `now`: time stands still there until moved (default: it runs on)",
    )

    @model_validator(mode="after")
    def _one_move(self) -> Self:
        if (self.now is None) == (self.advance is None):
            raise ValueError("give exactly one of now and advance")
        if self.frozen and self.now is None:
            raise ValueError("frozen goes with now")
        return self


class ClockResponse(Wire):
    now: dt.datetime
    offsetSeconds: float = Field(description="How far the clock is from real time")
    frozen: bool
    simulated: bool = Field(description="False: the clock is real time")


class SnapshotRequest(Wire):
    name: str = Field(description="1 to 40 characters of a-z, 0-9 and _; 'seed' is reset's")


class SnapshotResponse(Wire):
    name: str


class SnapshotList(Wire):
    snapshots: list[str]


class ResetResponse(Wire):
    seed: bool = Field(description="False: no seed snapshot was there, the store is now empty")


class InfisicalTokenRequest(Wire):
    identityId: uuid.UUID


class UserTokenRequest(Wire):
    email: str
    org: str | None = Field(default=None, description="Org id (or ctrl-hub slug) if several")


class TokenResponse(Wire):
    token: str
    expiresAt: dt.datetime | None


class JournalEntry(Wire):
    id: int
    receivedAt: dt.datetime
    surface: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str | None
    json_: Any = Field(default=None, alias="json", description="The body parsed, when JSON")
    status: int

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class JournalPage(Wire):
    requests: list[JournalEntry]
