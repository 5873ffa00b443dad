"""The registry side of a validation run: what the version and its tier declare, and storing the result through
`set_validation_report` (so the write is permission-checked and audited like a typed report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from registry.governance.access import find_version, writable_model
from registry.governance.gates import effective_policy
from registry.governance.policy import DEFAULT_POLICY, FairnessPolicy, PolicyTable
from registry.governance.records import ValidationReport
from registry.governance.schemas import VersionOut
from registry.governance.specs import ValidationSpec, VersionSpec
from registry.governance.types import Actor
from registry.governance.versions import resolve, set_validation_report
from registry.validation import robustness
from registry.validation.data import load
from registry.validation.options import DataFile, ValidationOptions
from registry.validation.report import Inputs, run


@dataclass(frozen=True, slots=True)
class VersionContext:
    version: str
    spec: ValidationSpec
    limits: FairnessPolicy
    tier: int
    features: list[str]


def version_context(session: Session, actor: Actor, name: str, version: str,
                    policy: PolicyTable = DEFAULT_POLICY) -> VersionContext:
    """Checked for write access first, so a caller who may not store the report does not get it computed."""
    model = writable_model(session, actor, name)
    row = find_version(session, model, resolve(session, model, version))
    spec = VersionSpec.model_validate(row.spec)
    tier = effective_policy(model, policy)
    return VersionContext(row.version, spec.validation or ValidationSpec(), tier.fairness, tier.tier, spec.features)


def compute(context: VersionContext, data: DataFile, options: ValidationOptions, validator: str, today: date,
            edge_cases: DataFile | None = None, model_path: str | None = None) -> ValidationReport:
    """Load the files, run every measure; raises `ValidationInputError` on unusable input."""
    task = context.spec.task
    evaluation = load(data.raw, data.format, data.source, task, options)
    edge = None if edge_cases is None else load(edge_cases.raw, edge_cases.format, edge_cases.source, task, options)
    model = None
    if model_path is not None:
        model = robustness.OnnxModel(model_path, robustness.numeric_columns(evaluation, context.features))
    inputs = Inputs(evaluation, context.spec, context.limits, context.tier, options, context.features, edge, model)
    return run(inputs, validator, today)


def store(session: Session, actor: Actor, name: str, version: str, report: ValidationReport) -> VersionOut:
    return set_validation_report(session, actor, name, version, report)
