"""The bias gate: the groups of a dataset's bias analysis beyond the tier's limits (label-rate gap, under-
representation), each a reason to refuse promotion unless a board member's waiver for it still holds."""

from __future__ import annotations

from datetime import date

from registry.governance.bias_records import BiasGapKind, GroupShare
from registry.governance.policy import TierPolicy
from registry.governance.records import DatasetVersion

MISSING = "(missing)"


def _waived(dataset: DatasetVersion, group: GroupShare, kind: BiasGapKind, today: date) -> bool:
    assert dataset.bias is not None
    return any(w.column == group.column and w.value == group.value and w.kind == kind
               and w.analysis_sha256 == dataset.bias.sha256 and (w.expires_on is None or w.expires_on >= today)
               for w in dataset.bias_waivers)


def bias_gaps(dataset: DatasetVersion, tier: TierPolicy, today: date) -> list[str]:
    """One reason per group and limit crossed, naming the dataset, the group and the figure against the limit."""
    bias, limits = dataset.bias, tier.bias
    if bias is None:
        return []
    label = f"dataset {dataset.name}@{dataset.version}"
    judged = [g for g in bias.groups if g.value != MISSING and (not bias.sensitive or g.column in bias.sensitive)]
    gaps = []
    for g in judged:
        gap = g.label_gap
        if (limits.max_label_rate_gap is not None and gap is not None and abs(gap) > limits.max_label_rate_gap
                and not _waived(dataset, g, "label_rate_gap", today)):
            gaps.append(f"{label}: label-rate gap of {g.column}={g.value} is {gap:+.3f} (rate {g.label_rate:.3f} vs "
                        f"{bias.overall_label_rate:.3f} overall), beyond the tier {tier.tier} limit "
                        f"{limits.max_label_rate_gap:g} (waiver: `warden models dataset waive-bias`)")
        if (limits.min_group_share is not None and g.share < limits.min_group_share
                and not _waived(dataset, g, "representation", today)):
            gaps.append(f"{label}: {g.column}={g.value} is {g.share:.1%} of the rows, under the tier {tier.tier} "
                        f"minimum {limits.min_group_share:.1%} (waiver: `warden models dataset waive-bias`)")
    return gaps
