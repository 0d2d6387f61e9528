"""The table of benchmarked endpoints: one entry per PATCH.

Adding an endpoint is one entry: a name, how to authenticate, and a generator of valid,
varied requests over the data set. The SQL each request runs is not written here: the
harness captures it from PostgreSQL's own statement log while it sends every request
variant once, and pgbench replays exactly that (see ``sqlcapture.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dataset import Dataset


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Endpoint:
    key: str  # short name in the table ("A")
    title: str
    auth: str  # "infisical" | "csp" | "ctrlhub": which credential the harness mints
    # All request variants, in the order the load generator cycles through them.
    # At most 128 (pgbench runs one script per variant and allows 128 scripts).
    requests: Callable[[Dataset, int], list[Request]]


# Endpoint A alternates two role sets on every target: a single permanent built-in role,
# and a built-in + a custom role + a temporary role (three rows, one with a window).
ROLE_SETS: list[list[dict[str, Any]]] = [
    [{"role": "viewer"}],
    [
        {"role": "viewer"},
        {"role": "secret-reader"},
        {
            "role": "member",
            "isTemporary": True,
            "temporaryMode": "relative",
            "temporaryRange": "1h",
            "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
        },
    ],
]


def project_group_requests(data: Dataset, targets: int) -> list[Request]:
    """Each target once with each role set: visiting a target alternates its role set."""
    # Spread targets over projects: every 8th membership is in a different project.
    chosen = data.project_groups[:: max(1, len(data.project_groups) // targets)][:targets]
    return [
        Request(
            "PATCH",
            f"/api/v2/workspace/{project_id}/groups/{group_id}",
            {"roles": roles},
        )
        for roles in ROLE_SETS
        for project_id, group_id in chosen
    ]


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        key="A",
        title="PATCH /api/v2/workspace/{projectId}/groups/{groupId}",
        auth="infisical",
        requests=project_group_requests,
    ),
]
