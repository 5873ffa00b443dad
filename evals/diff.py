"""Comparing two runs of a suite (two prompt versions, or a run and a stored baseline): per-metric deltas and
the cases whose result changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evals.runner import SuiteResult


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Both in the JSON report's per-suite shape (`evals.reports.suite_json`)."""
    metrics = {}
    for name in sorted(set(before["metrics"]) | set(after["metrics"])):
        a, b = before["metrics"].get(name), after["metrics"].get(name)
        metrics[name] = {"before": a, "after": b, "delta": round(b - a, 4) if a is not None and b is not None
                         else None}
    old = {c["id"]: c for c in before["cases"]}
    cases = []
    for case in after["cases"]:
        prior = old.get(case["id"])
        was = "absent" if prior is None else "pass" if prior["passed"] else "fail"
        now = "pass" if case["passed"] else "fail"
        if was != now:
            cases.append({"id": case["id"], "before": was, "after": now})
    return {"before": before.get("prompt_commit") or before.get("prompt_ref"),
            "after": after.get("prompt_commit") or after.get("prompt_ref"), "metrics": metrics, "cases": cases}


def compare_runs(baseline: dict[str, Any], results: Sequence[SuiteResult]) -> dict[str, Any]:
    """A stored JSON result (`--json`) against this run, suite by suite name; the first matching suite."""
    from evals.reports import suite_json

    stored = {s["suite"]: s for s in baseline.get("suites", [])}
    for result in results:
        if result.name in stored:
            return compare(stored[result.name], suite_json(result))
    raise ValueError(f"the baseline has none of the suites {[r.name for r in results]!r}")
