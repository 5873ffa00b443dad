"""The documented risk-tier scoring rule (pure: no database).

Rule, applied in order:
1. EU AI Act `unacceptable` -> tier 1 and `prohibited` (the model can never reach production).
2. score = 2 x (highest impact: low 0, medium 1, high 2) + automation (informative 0, assistive 1, decisive 2,
   autonomous 3) + 1 if two or more impacts are high + 1 if the EU class is `limited`.
3. Tier from the score: >= 6 -> 1, 4-5 -> 2, 2-3 -> 3, 0-1 -> 4.
4. Floors: EU `high` -> tier 2 at least, tier 1 if score >= 5; a high human impact with a decisive or autonomous
   system -> tier 1; any high impact -> tier 3 at least (tier 4 is for experiments with low stakes).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from registry.governance.types import Automation, EUClass, ImpactLevel, RiskTier

_IMPACT_POINTS: dict[ImpactLevel, int] = {"low": 0, "medium": 1, "high": 2}
_AUTOMATION_POINTS: dict[Automation, int] = {"informative": 0, "assistive": 1, "decisive": 2, "autonomous": 3}


class Impact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    financial: ImpactLevel
    operational: ImpactLevel
    reputational: ImpactLevel
    human: ImpactLevel


class ClassificationCriteria(BaseModel):
    """The recorded inputs of a classification."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    impact: Impact
    automation: Automation
    eu_ai_act: EUClass
    notes: str | None = None


class ClassificationResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: RiskTier
    score: int
    prohibited: bool
    justification: list[str]


def _tier_from_score(score: int) -> RiskTier:
    if score >= 6:
        return 1
    if score >= 4:
        return 2
    if score >= 2:
        return 3
    return 4


def classify(criteria: ClassificationCriteria) -> ClassificationResult:
    """Apply the scoring rule; the justification names every factor that moved the result."""
    levels = criteria.impact.model_dump()
    top = max(levels.values(), key=lambda level: _IMPACT_POINTS[level])
    highs = sorted(name for name, level in levels.items() if level == "high")
    why = [f"highest impact {top!r} (+{2 * _IMPACT_POINTS[top]})"]
    why.append(f"automation {criteria.automation!r} (+{_AUTOMATION_POINTS[criteria.automation]})")
    score = 2 * _IMPACT_POINTS[top] + _AUTOMATION_POINTS[criteria.automation]
    if len(highs) >= 2:
        score += 1
        why.append(f"several high impacts {highs!r} (+1)")
    if criteria.eu_ai_act == "limited":
        score += 1
        why.append("EU AI Act 'limited' transparency duties (+1)")
    tier = _tier_from_score(score)
    why.append(f"score {score} -> tier {tier}")
    if criteria.eu_ai_act == "unacceptable":
        why.append("EU AI Act 'unacceptable': prohibited practice, tier 1, never deployable")
        return ClassificationResult(tier=1, score=score, prohibited=True, justification=why)
    if criteria.eu_ai_act == "high":
        floor: RiskTier = 1 if score >= 5 else 2
        if floor < tier:
            tier = floor
            why.append(f"EU AI Act 'high' -> tier {floor}")
    if levels["human"] == "high" and criteria.automation in ("decisive", "autonomous") and tier > 1:
        tier = 1
        why.append("high human impact with a decisive/autonomous system -> tier 1")
    if highs and tier == 4:
        tier = 3
        why.append("a high impact excludes the experimental tier -> tier 3")
    return ClassificationResult(tier=tier, score=score, prohibited=False, justification=why)
