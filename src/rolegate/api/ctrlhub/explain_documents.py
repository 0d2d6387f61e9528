"""Binding explanations (core) → JSON:API documents."""

from __future__ import annotations

import datetime as dt

from rolegate.api.ctrlhub import explain_schemas as s
from rolegate.api.ctrlhub.documents import identifier
from rolegate.api.ctrlhub.schemas import ConditionOut, RuleOut
from rolegate.rbac.ctrlhub.explain import BindingsExplanation, BindingVerdict
from rolegate.rbac.permissions.conditions import UNCONDITIONAL


def _time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _condition(verdict: BindingVerdict) -> ConditionOut:
    rules = verdict.condition.get("rules")
    return ConditionOut(
        gate=str(verdict.condition.get("gate", UNCONDITIONAL["gate"])),
        rules=[RuleOut.model_validate(r) for r in rules] if isinstance(rules, list) else [],
    )


def _binding(verdict: BindingVerdict) -> s.BindingResource:
    group = identifier("groups", verdict.group.id) if verdict.group is not None else None
    return s.BindingResource(
        id=str(verdict.id),
        attributes=s.BindingAttributes(role=verdict.role, condition=_condition(verdict)),
        relationships=s.BindingRelationships(group=s.ToOne(data=group)),
        meta=s.BindingMeta(
            applies=verdict.applies,
            reason=verdict.reason,
            member=verdict.member,
            active=verdict.active,
            condition_holds=verdict.condition_holds,
            rules=[
                s.RuleVerdict(index=i, matched=matched)
                for i, matched in enumerate(verdict.rule_results)
            ],
            starts_at=_time(verdict.starts_at),
            ends_at=_time(verdict.ends_at),
        ),
    )


def bindings_document(explanation: BindingsExplanation) -> s.BindingsExplainDocument:
    groups: dict[str, s.GroupNameResource] = {}
    for verdict in explanation.bindings:
        if verdict.group is not None and str(verdict.group.id) not in groups:
            groups[str(verdict.group.id)] = s.GroupNameResource(
                id=str(verdict.group.id),
                attributes=s.GroupNameAttributes(name=verdict.group.name),
            )
    user = explanation.user
    return s.BindingsExplainDocument(
        data=[_binding(v) for v in explanation.bindings],
        included=list(groups.values()),
        meta=s.ExplainMeta(
            at=_time(explanation.at) or "",
            user=s.ExplainedUser(id=str(user.id), email=user.email),
            grants=explanation.grants,
        ),
    )
