"""Render a `ModelCard` to Markdown (sections in the canonical order, missing ones marked, never dropped)."""

from __future__ import annotations

from registry.governance.card import ModelCard

_MISSING = "_Not documented._"


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items) if items else _MISSING


def _details(card: ModelCard) -> str:
    d = card.details
    if d is None:
        return _MISSING
    rows = [f"- **Name:** {d.name}", f"- **Version:** {d.version}", f"- **Type:** {d.model_type}"]
    rows.append(f"- **Owners:** {', '.join(d.owners)}")
    if d.card_date:
        rows.append(f"- **Date:** {d.card_date.isoformat()}")
    if d.license:
        rows.append(f"- **License:** {d.license}")
    return "\n".join(rows)


def _intended(card: ModelCard) -> str:
    use = card.intended_use
    if use is None:
        return _MISSING
    return "**Primary uses**\n\n" + _bullets(use.primary_uses) + "\n\n**Users**\n\n" + _bullets(use.users)


def _training(card: ModelCard) -> str:
    data = card.training_data
    if data is None:
        return _MISSING
    text = "**Datasets**\n\n" + _bullets(data.datasets) + "\n\n**Known biases**\n\n" + _bullets(data.known_biases)
    return text + (f"\n\n**Preprocessing:** {data.preprocessing}" if data.preprocessing else "")


def _metrics(card: ModelCard) -> str:
    if not card.metrics_by_segment:
        return _MISSING
    lines = ["| Split | Segment | Metric | Value |", "|---|---|---|---|"]
    for m in card.metrics_by_segment:
        lines.append(f"| {m.split} | {m.segment or 'all'} | {m.name} | {m.value:.4g} |")
    return "\n".join(lines)


def _risk(card: ModelCard) -> str:
    risk = card.risk_classification
    if risk is None:
        return _MISSING
    head = f"- **Tier:** {risk.tier}\n- **EU AI Act:** {risk.eu_ai_act}\n\n**Justification**\n\n"
    return head + _bullets(risk.justification)


def _audit(card: ModelCard) -> str:
    audit = card.external_audit
    if audit is None:
        return _MISSING
    text = (
        f"- **Auditor:** {audit.auditor}\n- **Date:** {audit.audited_on.isoformat()}\n- **Report:** {audit.report_url}"
    )
    return text + (f"\n\n{audit.summary}" if audit.summary else "")


def render_markdown(card: ModelCard, extra: list[tuple[str, str]] | None = None) -> str:
    """`extra`: (heading, Markdown) sections appended after the card's own, e.g. a version's evidence."""
    title = card.details.name if card.details else "Unnamed model"
    sections = [
        ("Model details", _details(card)),
        ("Intended use", _intended(card)),
        ("Out-of-scope use", _bullets(card.out_of_scope_use)),
        ("Training data", _training(card)),
        ("Metrics by segment", _metrics(card)),
        ("Limitations and risks", _bullets(card.limitations_and_risks)),
        ("Ethical considerations", _bullets(card.ethical_considerations)),
        ("Risk classification", _risk(card)),
        ("External audit", _audit(card)),
        *(extra or []),
    ]
    body = "\n\n".join(f"## {heading}\n\n{content}" for heading, content in sections)
    return f"# Model card: {title}\n\n{body}\n"
