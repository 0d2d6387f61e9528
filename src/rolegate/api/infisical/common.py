"""Wire conventions shared by every Infisical schema: casing, timestamps, durations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from rolegate.rbac.durations import InvalidDurationError, parse_ms_duration
from rolegate.rbac.moments import OutsideCalendarError, to_utc


def format_timestamp(value: dt.datetime) -> str:
    """UTC, milliseconds, ``Z``: ``2023-11-07T05:31:56.000Z`` (what Infisical returns)."""
    # isoformat is several times faster than strftime; a UTC value ends in "+00:00".
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


Timestamp = Annotated[dt.datetime, PlainSerializer(format_timestamp, return_type=str)]

_aware = TypeAdapter(AwareDatetime)


def parse_timestamp(value: Any) -> dt.datetime:
    """Any RFC 3339 timestamp with a zone (``Z`` or an offset), stored as UTC."""
    if not isinstance(value, str) or not value:
        raise ValueError(
            "Expected an ISO 8601 timestamp with a time zone, e.g. 2023-11-07T05:31:56Z"
        )
    try:
        parsed = _aware.validate_python(value)
    except ValueError as exc:
        raise ValueError(
            "Expected an ISO 8601 timestamp with a time zone, e.g. 2023-11-07T05:31:56Z"
        ) from exc
    try:
        return to_utc(parsed)
    except OutsideCalendarError as exc:  # 0001-01-01T00:00:00+14:00 is in year 0 in UTC
        raise ValueError(f"The timestamp {exc}") from exc


def check_range(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Temporary range must be a positive number")
    try:
        parse_ms_duration(value)
    except InvalidDurationError as exc:
        raise ValueError(str(exc)) from exc
    return value


class InfisicalModel(BaseModel):
    """Base of every Infisical wire schema: camelCase as sent, unknown keys ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class TemporaryFields(InfisicalModel):
    """The temporary-access fields as Infisical takes them.

    On a permanent grant they are ignored whatever they hold (Terraform sends ``""``);
    on a temporary one all three are required and checked, each error on its own path.
    """

    isTemporary: bool = False
    temporaryMode: Any = Field(default=None, validate_default=True)
    temporaryRange: Any = Field(default=None, validate_default=True)
    temporaryAccessStartTime: Any = Field(default=None, validate_default=True)

    @field_validator("temporaryMode")
    @classmethod
    def _mode(cls, value: Any, info: ValidationInfo) -> Any:
        if info.data.get("isTemporary") and value != "relative":
            raise ValueError("Temporary mode must be 'relative'")
        return value

    @field_validator("temporaryRange")
    @classmethod
    def _range(cls, value: Any, info: ValidationInfo) -> Any:
        return check_range(value) if info.data.get("isTemporary") else value

    @field_validator("temporaryAccessStartTime")
    @classmethod
    def _start(cls, value: Any, info: ValidationInfo) -> Any:
        return parse_timestamp(value) if info.data.get("isTemporary") else value

    @property
    def start_time(self) -> dt.datetime | None:
        # The validator has already turned a temporary grant's start into a datetime.
        start = self.temporaryAccessStartTime
        return start if self.isTemporary and isinstance(start, dt.datetime) else None
