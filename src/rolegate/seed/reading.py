"""Reading a seed file: YAML or JSON, validated against ``schema`` before anything loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rolegate.seed import schema as s


class SeedError(Exception):
    """A seed file that cannot be loaded; the message names the bad entry."""


def read_seed_file(path: Path) -> s.SeedFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: not valid YAML/JSON: {exc}") from exc
    return parse_seed(raw, str(path))


def parse_seed(raw: Any, source: str = "seed") -> s.SeedFile:
    try:
        return s.SeedFile.model_validate(raw or {})
    except ValidationError as exc:
        lines = [f"  {_dotted(err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)]
        raise SeedError(f"{source}: invalid seed file:\n" + "\n".join(lines)) from exc


def _dotted(loc: Any) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
