"""What a version's card shows beside its sections: the validation report and the interpretability record, as
Markdown (the console renders the same records as HTML)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from registry.governance.access import find_version, readable_model
from registry.governance.interpretability_records import InterpretabilityRecord
from registry.governance.records import ValidationReport
from registry.governance.types import Actor
from registry.governance.versions import resolve

_NONE = "_Not recorded._"


@dataclass(frozen=True, slots=True)
class Evidence:
    report: ValidationReport | None
    interpretability: InterpretabilityRecord | None


def version_evidence(session: Session, actor: Actor, name: str, version: str) -> Evidence:
    row = find_version(session, (model := readable_model(session, actor, name)), resolve(session, model, version))
    report = None if row.validation_report is None else ValidationReport.model_validate(row.validation_report)
    record = None if row.interpretability is None else InterpretabilityRecord.model_validate(row.interpretability)
    return Evidence(report, record)


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _report(report: ValidationReport | None) -> str:
    if report is None:
        return _NONE
    verdict = "passed" if report.passed else "failed"
    head = [f"- **Result:** {verdict}", f"- **Validator:** {report.validator} on {report.validated_on.isoformat()}",
            f"- **Method:** {report.methodology}"]
    if report.generated_by:
        head.append(f"- **Computed by:** {report.generated_by} on {report.rows} rows (data sha256 "
                    f"`{report.data_sha256}`)")
    lines = ["| Metric | Value | 95% interval | Threshold | Passed |", "|---|---|---|---|---|"]
    for m in report.metrics:
        interval = "" if m.ci_low is None else f"{_figure(m.ci_low)} - {_figure(m.ci_high)}"
        passed = "" if m.passed is None else ("yes" if m.passed else "**no**")
        lines.append(f"| {m.name} | {_figure(m.value)} | {interval} | {_figure(m.threshold)} | {passed} |")
    lines += [f"| {r.name} ({r.split}) | {_figure(r.value)} | | | |" for r in report.results]
    fairness = [f"- {f.attribute}: demographic parity difference {_figure(f.demographic_parity_difference)}, "
                f"equalized odds difference {_figure(f.equalized_odds_difference)}: "
                f"{'passed' if f.passed else '**failed**'}" for f in report.fairness]
    flagged = [f"- segment {s.column}={s.segment}: {'; '.join(s.reasons)}" for s in report.segments if s.flagged]
    issues = [f"- {issue}" for issue in report.issues]
    parts = ["\n".join(head), "\n".join(lines)]
    parts += ["**Fairness**\n\n" + "\n".join(fairness)] if fairness else []
    parts += ["**Flagged segments**\n\n" + "\n".join(flagged)] if flagged else []
    parts += ["**Issues**\n\n" + "\n".join(issues)] if issues else []
    return "\n\n".join(parts)


def _interpretability(record: InterpretabilityRecord | None) -> str:
    if record is None:
        return _NONE
    head = [f"- **Method:** {record.method}" + (f" (drop of {record.metric})" if record.metric else ""),
            f"- **By:** {record.author} on {record.recorded_on.isoformat()}"]
    if record.artifact_uri:
        checksum = f" (sha256 `{record.artifact_sha256}`)" if record.artifact_sha256 else ""
        head.append(f"- **Artefact:** {record.artifact_uri}{checksum}")
    if record.summary:
        head.append(f"- **Summary:** {record.summary}")
    lines = ["| Rank | Feature | Importance | Std |", "|---|---|---|---|"]
    for rank, item in enumerate(record.ranked(), start=1):
        lines.append(f"| {rank} | {item.feature} | {_figure(item.importance)} | {_figure(item.std)} |")
    return "\n".join(head) + "\n\n" + "\n".join(lines)


def evidence_sections(evidence: Evidence) -> list[tuple[str, str]]:
    return [("Validation report", _report(evidence.report)),
            ("Interpretability", _interpretability(evidence.interpretability))]
