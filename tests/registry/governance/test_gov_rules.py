"""Pure rules: the tier scoring, card completeness and rendering, and the tier policy table."""

from __future__ import annotations

import pytest
from gov_helpers import full_card

from registry.governance import ClassificationCriteria, Impact, ModelCard, PolicyTable, classify, tier_policy
from registry.governance.card import RiskSection, check_card
from registry.governance.card_render import render_markdown


def _c(fin: str, op: str, rep: str, hum: str, auto: str, eu: str) -> ClassificationCriteria:
    return ClassificationCriteria(
        impact=Impact(financial=fin, operational=op, reputational=rep, human=hum), automation=auto, eu_ai_act=eu
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("criteria", "tier", "prohibited"),
    [
        (_c("low", "low", "low", "low", "informative", "minimal"), 4, False),
        (_c("low", "low", "low", "low", "assistive", "minimal"), 4, False),
        (_c("medium", "low", "low", "low", "informative", "minimal"), 3, False),
        (_c("medium", "low", "low", "low", "assistive", "minimal"), 3, False),
        (_c("low", "low", "low", "low", "decisive", "limited"), 3, False),
        (_c("medium", "low", "low", "low", "decisive", "minimal"), 2, False),
        (_c("high", "low", "low", "low", "informative", "minimal"), 2, False),
        (_c("high", "low", "low", "low", "assistive", "minimal"), 2, False),
        (_c("high", "high", "low", "low", "assistive", "minimal"), 1, False),
        (_c("high", "low", "low", "low", "decisive", "minimal"), 1, False),
        (_c("low", "low", "low", "low", "informative", "high"), 2, False),
        (_c("medium", "low", "low", "low", "decisive", "high"), 2, False),
        (_c("high", "low", "low", "low", "assistive", "high"), 1, False),
        (_c("low", "low", "low", "high", "decisive", "minimal"), 1, False),
        (_c("low", "low", "low", "high", "informative", "minimal"), 2, False),
        (_c("low", "low", "low", "low", "informative", "unacceptable"), 1, True),
        (_c("medium", "medium", "medium", "medium", "autonomous", "minimal"), 2, False),
        (_c("medium", "medium", "medium", "medium", "autonomous", "limited"), 1, False),
    ],
)
def test_scoring_rule(criteria: ClassificationCriteria, tier: int, prohibited: bool) -> None:
    result = classify(criteria)
    assert (result.tier, result.prohibited) == (tier, prohibited)
    assert result.justification[-1].startswith(("score", "EU", "high", "a high")) and len(result.justification) >= 3


def _with_risk() -> ModelCard:
    return full_card("m").model_copy(
        update={"risk_classification": RiskSection(tier=1, eu_ai_act="high", justification=["score 7"])}
    )


def _without(*sections: str) -> ModelCard:
    data = full_card("m").model_dump()
    for section in sections:
        data.pop(section)
    return ModelCard.model_validate(data)


@pytest.mark.parametrize(
    ("card", "requirement", "missing"),
    [
        (_with_risk(), "complete_external_audit", []),
        (full_card("m"), "complete_external_audit", ["risk_classification"]),
        (_without("external_audit"), "complete_external_audit", ["risk_classification", "external_audit"]),
        (_without("external_audit"), "complete", ["risk_classification"]),
        (
            _without("training_data", "ethical_considerations"),
            "complete",
            ["training_data", "ethical_considerations", "risk_classification"],
        ),
        (
            _without("training_data", "ethical_considerations", "metrics_by_segment"),
            "simplified",
            ["risk_classification"],
        ),
        (_without("out_of_scope_use"), "simplified", ["out_of_scope_use", "risk_classification"]),
        (
            None,
            "simplified",
            ["details", "intended_use", "out_of_scope_use", "limitations_and_risks", "risk_classification"],
        ),
        (None, "none", []),
        (ModelCard(), "none", []),
    ],
)
def test_card_completeness(card: ModelCard | None, requirement: str, missing: list[str]) -> None:
    result = check_card(card, requirement)  # type: ignore[arg-type]
    assert result.missing == missing and result.ok is (not missing)


def test_card_renders_every_section_and_marks_missing_ones() -> None:
    text = render_markdown(_without("ethical_considerations"))
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert len(headings) == 9 and text.startswith("# Model card: m")
    ethics = text.split("## Ethical considerations")[1].split("##")[0]
    assert "_Not documented._" in ethics
    assert "| test | age<25 | auc | 0.81 |" in text


def test_policy_defaults_and_overrides() -> None:
    assert [tier_policy(t).monitoring.frequency for t in (1, 2, 3, 4)] == ["realtime", "daily", "weekly", "monthly"]
    assert [tier_policy(t).retraining.cadence for t in (1, 2, 3, 4)] == ["weekly", "monthly", "quarterly", "ad_hoc"]
    assert tier_policy(1).retraining.triggered and tier_policy(1).validation.chair_decides
    assert tier_policy(4).audit_retention_days is None
    assert (tier_policy(1).audit_retention_days or 0) >= 5 * 365
    table = PolicyTable().with_overrides(
        {3: {"monitoring": {"frequency": "daily"}, "validation": {"required_roles": {"peer": 2}}}}
    )
    assert (
        table.for_tier(3).monitoring.frequency == "daily" and table.for_tier(3).monitoring.alert_severity == "warning"
    )
    assert table.for_tier(3).validation.required_roles == {"peer": 2}
    with pytest.raises(ValueError):
        PolicyTable().with_overrides({3: {"monitoring": {"frequency": "hourly"}}})
    with pytest.raises(ValueError):
        PolicyTable().with_overrides({5: {}})
