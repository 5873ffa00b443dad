"""Run outputs: a terminal table, JSON (also the `--baseline` format), JUnit XML and Markdown for a PR comment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET

import orjson

from evals.runner import CaseResult, SuiteResult


def to_json(results: Sequence[SuiteResult]) -> dict[str, Any]:
    return {"passed": all(r.passed for r in results), "suites": [suite_json(r) for r in results]}


def suite_json(r: SuiteResult) -> dict[str, Any]:
    return {
        "suite": r.name, "path": r.path, "prompt": r.prompt, "prompt_ref": r.prompt_ref,
        "prompt_commit": r.prompt_commit, "model": r.model, "mode": r.mode, "started_at": r.started_at,
        "duration_s": round(r.duration_s, 3), "passed": r.passed, "metrics": r.metric_means,
        "threshold_failures": r.threshold_failures, "summary": summary(r), "extras": r.extras,
        "cases": [case_json(c) for c in r.cases],
    }


def case_json(c: CaseResult) -> dict[str, Any]:
    ex = c.exchange
    return {"id": c.case.id, "tags": c.case.tags, "passed": c.passed, "failures": c.failures, "answer": ex.text,
            "status": ex.status, "error": ex.error, "latency_ms": round(ex.latency_ms, 1), "tokens": ex.tokens,
            "cost_usd": ex.cost_usd, "guardrails": ex.guardrails, "metrics": c.metrics,
            "request_id": ex.request_id}


def summary(r: SuiteResult) -> dict[str, Any]:
    latencies = sorted(c.exchange.latency_ms for c in r.cases if c.exchange.error is None)
    costs = [c.exchange.cost_usd for c in r.cases if c.exchange.cost_usd is not None]
    return {
        "cases": len(r.cases), "passed": sum(c.passed for c in r.cases),
        "failed": sum(not c.passed for c in r.cases),
        "p50_latency_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "p95_latency_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 1)
        if latencies else None,
        "total_tokens": sum(c.exchange.tokens for c in r.cases),
        "total_cost_usd": round(sum(costs), 6) if costs else None,
        "throughput_cases_per_s": round(len(r.cases) / r.duration_s, 2) if r.duration_s > 0 else None,
    }


def to_junit(results: Sequence[SuiteResult]) -> bytes:
    """One <testsuite> per suite, one <testcase> per case; metric thresholds are a testcase of their own."""
    root = ET.Element("testsuites", name="warden-eval")
    for r in results:
        failed = sum(not c.passed for c in r.cases) + (1 if r.threshold_failures else 0)
        suite = ET.SubElement(root, "testsuite", name=r.name, tests=str(len(r.cases) + 1), failures=str(failed),
                              errors="0", time=f"{r.duration_s:.3f}", timestamp=r.started_at)
        for c in r.cases:
            case = ET.SubElement(suite, "testcase", name=c.case.id, classname=f"eval.{r.name}",
                                 time=f"{c.exchange.latency_ms / 1000:.3f}")
            if not c.passed:
                failure = ET.SubElement(case, "failure", message=c.failures[0][:500], type="assertion")
                failure.text = "\n".join(c.failures)
            out = ET.SubElement(case, "system-out")
            out.text = c.exchange.text[:4000]
        thresholds = ET.SubElement(suite, "testcase", name="metric thresholds", classname=f"eval.{r.name}")
        if r.threshold_failures:
            failure = ET.SubElement(thresholds, "failure", message=r.threshold_failures[0][:500], type="threshold")
            failure.text = "\n".join(r.threshold_failures)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def to_markdown(results: Sequence[SuiteResult], diff: dict[str, Any] | None = None) -> str:
    lines = ["## Warden eval: " + ("passed ✅" if all(r.passed for r in results) else "failed ❌"), ""]
    for r in results:
        s = summary(r)
        where = f" · prompt `{r.prompt}@{(r.prompt_commit or r.prompt_ref or 'latest')[:12]}`" if r.prompt else ""
        lines += [f"### {r.name}{where} · {s['passed']}/{s['cases']} passed · {r.mode}", ""]
        if r.metric_means:
            lines += ["| metric | mean |", "|---|---|"]
            lines += [f"| {k} | {v:.3f} |" for k, v in sorted(r.metric_means.items())]
            lines.append("")
        families = dict(r.extras.get("families", {}))  # type: ignore[call-overload]
        if families:
            lines += ["| family | held | got through |", "|---|---|---|"]
            lines += [f"| {k} | {f['passed']}/{f['cases']} | {', '.join(f['through']) or '-'} |"
                      for k, f in sorted(families.items())]
            lines.append("")
        gaps = dict(r.extras.get("bias", {}))  # type: ignore[call-overload]
        if gaps:
            lines += ["| attribute | largest gap | pair |", "|---|---|---|"]
            lines += [f"| {k} | {g['gap']:.3f} | {g['pair']} |" for k, g in sorted(gaps.items())]
            lines.append("")
        failing = [c for c in r.cases if not c.passed]
        if failing or r.threshold_failures:
            lines += ["| case | why it failed |", "|---|---|"]
            lines += [f"| `{c.case.id}` | {_md('; '.join(c.failures))} |" for c in failing]
            lines += [f"| (thresholds) | {_md(t)} |" for t in r.threshold_failures]
            lines.append("")
    if diff:
        lines += ["### Diff", "", "| metric | before | after | delta |", "|---|---|---|---|"]
        for name, d in sorted(diff.get("metrics", {}).items()):
            lines.append(f"| {name} | {_num(d['before'])} | {_num(d['after'])} | {_num(d['delta'])} |")
        changed = diff.get("cases", [])
        if changed:
            lines += ["", "| case | before | after |", "|---|---|---|"]
            lines += [f"| `{c['id']}` | {c['before']} | {c['after']} |" for c in changed]
        lines.append("")
    return "\n".join(lines)


def terminal_table(r: SuiteResult) -> str:
    width = max([len(c.case.id) for c in r.cases] + [4])
    rows = [f"{'case':<{width}}  result  latency  detail"]
    for c in r.cases:
        detail = "; ".join(c.failures)[:100] if c.failures else ", ".join(f"{k}={v:.2f}" for k, v in c.metrics.items())
        rows.append(f"{c.case.id:<{width}}  {'pass' if c.passed else 'FAIL':<6}  "
                    f"{c.exchange.latency_ms:>6.0f}ms  {detail}")
    s = summary(r)
    for family, f in sorted(dict(r.extras.get("families", {})).items()):  # type: ignore[call-overload]
        rows.append(f"  family {family}: {f['passed']}/{f['cases']} held" + (f", through: {', '.join(f['through'])}"
                                                                          if f["through"] else ""))
    for attribute, g in sorted(dict(r.extras.get("bias", {})).items()):  # type: ignore[call-overload]
        rows.append(f"  bias {attribute}: largest gap {g['gap']:.3f} (pair {g['pair']})")
    rows.append(f"{r.name}: {s['passed']}/{s['cases']} passed"
                + "".join(f", {k} {v:.3f}" for k, v in sorted(r.metric_means.items()))
                + "".join(f"\n  threshold: {t}" for t in r.threshold_failures))
    return "\n".join(rows)


def dumps(data: object) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:300]


def _num(value: object) -> str:
    return f"{value:+.3f}" if isinstance(value, float) and value < 0 else f"{value:.3f}" \
        if isinstance(value, float) else str(value)
