"""``rolegate explain``: a principal's project rules, as a table or as the API's JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from rolegate.config import get_settings
from rolegate.rbac.errors import InvalidInputError, RbacError
from rolegate.runtime import Runtime, run

if TYPE_CHECKING:
    from rolegate.rbac.explain import project as ex
    from rolegate.rbac.permissions.rules import Rule

# The API's mapping (FastAPI, pydantic models) and the explain service are imported when
# the command runs: ``rolegate serve`` imports this module too, and its start is timed.

HEADERS = ("RULE", "SOURCE", "WINDOW", "ACTIVE", "OVERRIDDEN")


def describe_rule(rule: Rule) -> str:
    from rolegate.rbac.permissions.rules import unpack

    text = f"{'deny' if rule.inverted else 'allow'} {','.join(rule.actions)} {rule.subject}"
    conditions = unpack(rule).get("conditions")
    if conditions:
        text += " " + json.dumps(conditions, separators=(",", ":"), sort_keys=True)
    return text


def describe_window(source: ex.Source) -> str:
    from rolegate.api.infisical.common import format_timestamp

    if source.starts_at is None and source.ends_at is None:
        return "permanent"
    start = format_timestamp(source.starts_at) if source.starts_at else "…"
    end = format_timestamp(source.ends_at) if source.ends_at else "…"
    return f"{start} → {end}"


def describe_override(item: ex.ExplainedRule) -> str:
    if item.overridden is None:
        return "-"
    by = "; ".join(f"{','.join(o.actions)} by {o.source.label}" for o in item.overridden_by)
    return f"{item.overridden}: {by}"


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def render(explanation: ex.Explanation) -> str:
    from rolegate.api.infisical.common import format_timestamp

    principal = explanation.principal
    head = (
        f"{principal.kind} {explanation.principal_name} ({principal.id}) in project "
        f"{explanation.project_slug} ({explanation.project_id}) at "
        f"{format_timestamp(explanation.at)}"
    )
    rows: list[Sequence[str]] = [HEADERS]
    for item in explanation.rules:
        rows.append(
            (
                describe_rule(item.rule),
                item.source.label,
                describe_window(item.source),
                "yes" if item.active else "no",
                describe_override(item),
            )
        )
    ruleless = [
        s.label for s in explanation.sources if not any(r.source is s for r in explanation.rules)
    ]
    lines = [head, "", table(rows) if len(rows) > 1 else "(no rules)"]
    if ruleless:
        lines += ["", "sources without rules: " + ", ".join(ruleless)]
    return "\n".join(lines)


def explain_command(
    project: Annotated[str, typer.Option(help="Project id or slug.")],
    identity: Annotated[str | None, typer.Option(help="Machine identity id or name.")] = None,
    user: Annotated[str | None, typer.Option(help="User email or id.")] = None,
    group: Annotated[str | None, typer.Option(help="Group id or slug.")] = None,
    at: Annotated[
        str | None, typer.Option(help="RFC 3339 moment to explain (default now).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the effective-permissions API document.")
    ] = False,
) -> None:
    """Explain a principal's rules in a project: source, window, active, overridden."""
    from rolegate.api.infisical import explain_mapping
    from rolegate.rbac.explain import project as ex

    options: tuple[tuple[ex.PrincipalKind, str | None], ...] = (
        ("identity", identity),
        ("user", user),
        ("group", group),
    )
    given = [(kind, value) for kind, value in options if value]
    if len(given) != 1:
        typer.echo("Give exactly one of --identity, --user or --group", err=True)
        raise typer.Exit(code=2)
    kind, ref = given[0]
    now = dt.datetime.now(dt.UTC)
    try:
        moment = explain_mapping.moment(at, ["at"], now)
    except InvalidInputError as exc:
        typer.echo(f"--at: {exc.message}", err=True)
        raise typer.Exit(code=2) from exc
    runtime = Runtime(get_settings())
    run(runtime.migrate())
    try:
        explanation = run(
            runtime.in_transaction(
                lambda session: ex.explain_by_reference(
                    session,
                    project=project,
                    kind=kind,
                    ref=ref,
                    at=moment,
                )
            )
        )
    except RbacError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(code=1) from exc
    if as_json:
        document = explain_mapping.effective_permissions(explanation)
        typer.echo(json.dumps(document, indent=2))
    else:
        typer.echo(render(explanation))
