"""What the usage policy decided for one request: it goes on the usage row and, unless plain, in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Action = Literal["allow", "reroute", "mask", "flag"]


@dataclass(slots=True)
class PolicyDecision:
    data_class: str
    sources: dict[str, str] = field(default_factory=dict)
    """What raised the class: `declared`, `team`, `prompt`, `pii`, `marker:<name>` -> the class each gave."""
    use_case: str | None = None
    use_case_from: Literal["key", "prompt", "metadata"] | None = None
    action: Action = "allow"
    deployments: frozenset[str] | None = None
    """The deployments the class may go to (None: every one)."""
    review: bool = False
    review_id: str | None = None
    flags: list[str] = field(default_factory=list)

    def note(self, action: Action, flag: str | None = None) -> None:
        order = ("allow", "flag", "reroute", "mask")
        if order.index(action) > order.index(self.action):
            self.action = action
        if flag:
            self.flags.append(flag)

    def summary(self) -> dict[str, object]:
        out: dict[str, object] = {"data_class": self.data_class, "action": self.action}
        if self.sources:
            out["sources"] = dict(self.sources)
        if self.use_case:
            out["use_case"], out["use_case_from"] = self.use_case, self.use_case_from
        if self.review:
            out["review"] = self.review_id or "required"
        if self.flags:
            out["flags"] = list(self.flags)
        return out
