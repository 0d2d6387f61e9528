"""Fixed reference transactions: a ceiling that does not move when rolegate's SQL does.

The replayed ceiling (``sqlcapture.py``) is pgbench running rolegate's own statements, so
every statement rolegate saves raises it too. The reference is the least SQL that does
each endpoint's job by hand (lock the target, write, one audit row), written once in
``reference_sql/<key>-<set>.sql`` and kept unchanged: one template per request set, with
``${name}`` filled in per target from the data set, and pgbench's ``\\gset`` carrying
the locked row's id to the writes, as a hand-written client would.

It does less than rolegate must: no token check, no authorization, no validation, no
read-back. What it measures is how far rolegate is from the database doing the write.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from string import Template

from dataset import PRIVILEGE_SLUG, Dataset
from endpoints import _service, spread

SQL = Path(__file__).resolve().parent / "reference_sql"

Params = dict[str, str]


def _project_groups(data: Dataset, targets: int) -> list[Params]:
    return [
        {"project_id": project_id, "group_id": group_id}
        for project_id, group_id in spread(data.project_groups, targets)
    ]


def _identity_privileges(data: Dataset, targets: int) -> list[Params]:
    return [
        {"project_slug": slug, "identity_id": identity_id, "privilege_slug": PRIVILEGE_SLUG}
        for slug, identity_id in spread(data.identity_privileges, targets)
    ]


def _templates(data: Dataset, targets: int) -> list[Params]:
    return [{"template_id": t} for t in spread(data.template_ids, targets)]


def _csp_groups(data: Dataset, targets: int) -> list[Params]:
    out = []
    for index, group_id in enumerate(spread(data.group_ids, targets)):
        service_id, service_role = _service(data, index)
        out.append(
            {
                "group_id": group_id,
                "service_id": service_id,
                # Only in the audit and notification text: pgbench -M prepared would read
                # the colon of "service0:user" as a variable, even inside quotes.
                "service_role": service_role.replace(":", "/"),
                "resource": f"/bench/{index}",
            }
        )
    return out


def _groups(data: Dataset, targets: int) -> list[Params]:
    return [{"group_id": g} for g in spread(data.group_ids, targets)]


# Per endpoint key: the targets' parameters, in the order endpoints.py spreads them.
TARGETS: dict[str, Callable[[Dataset, int], list[Params]]] = {
    "A": _project_groups,
    "B": _identity_privileges,
    "C": _templates,
    "D": _csp_groups,
    "E": _groups,
}


def has_reference(key: str) -> bool:
    return key in TARGETS


def write_scripts(key: str, data: Dataset, targets: int, out: Path, sets: int = 2) -> list[Path]:
    """One pgbench script per (set, target), like the replayed scripts."""
    out.mkdir(parents=True, exist_ok=True)
    common = {
        "org_id": data.org_id,
        "actor_id": data.admin_identity_id,
        "owner_user_id": data.owner_user_id,
    }
    paths = []
    for n in range(sets):
        template = Template((SQL / f"{key}-{n}.sql").read_text())
        for i, params in enumerate(TARGETS[key](data, targets)):
            path = out / f"ref-{key}-{n}-{i:03d}.sql"
            path.write_text(template.substitute(common, **params))
            paths.append(path)
    return paths
