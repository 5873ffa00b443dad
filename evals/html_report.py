"""A self-contained HTML report: inline CSS and SVG, no script, no network. Per suite: a summary, a histogram
per metric (with its mean), a latency histogram, the per-case table; and the diff against a baseline when given."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from evals.reports import summary
from evals.runner import SuiteResult

STYLE = """body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.pass{color:#176d2c}
.fail{color:#b00020;font-weight:bold}figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-size:12px}
pre{white-space:pre-wrap;max-width:60em;margin:0}"""


def histogram(values: Sequence[float], title: str, lo: float = 0.0, hi: float | None = None, bins: int = 10) -> str:
    """An SVG histogram of `values` over [lo, hi] with a red line at the mean."""
    width, height, pad = 260, 120, 20
    top = hi if hi is not None else max([*values, lo + 1e-9])
    span = (top - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - lo) / span * bins)))] += 1
    tallest = max(counts) or 1
    bar = (width - 2 * pad) / bins
    rects = "".join(
        f'<rect x="{pad + i * bar:.1f}" y="{height - pad - c / tallest * (height - 2 * pad):.1f}" '
        f'width="{bar - 2:.1f}" height="{c / tallest * (height - 2 * pad):.1f}" fill="#4a7bd0"><title>{c}</title></rect>'
        for i, c in enumerate(counts))
    mean = sum(values) / len(values) if values else lo
    x = pad + (mean - lo) / span * (width - 2 * pad)
    return (f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
            f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#888"/>{rects}'
            f'<line x1="{x:.1f}" y1="{pad / 2}" x2="{x:.1f}" y2="{height - pad}" stroke="#d33" stroke-dasharray="3"/>'
            f'<text x="{pad}" y="{height - 4}" font-size="10">{lo:g}</text>'
            f'<text x="{width - pad}" y="{height - 4}" font-size="10" text-anchor="end">{top:.3g}</text></svg>'
            f'<figcaption>{escape(title)}: mean {mean:.3f}, n={len(values)}</figcaption></figure>')


def to_html(results: Sequence[SuiteResult], diff: dict[str, Any] | None = None) -> str:
    ok = all(r.passed for r in results)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Warden eval report</title>"
             f"<style>{STYLE}</style></head><body><h1>Warden eval: "
             f"<span class='{'pass' if ok else 'fail'}'>{'passed' if ok else 'failed'}</span></h1>"]
    for r in results:
        parts.append(_suite(r))
    if diff:
        parts.append(_diff(diff))
    parts.append("</body></html>")
    return "".join(parts)


def _suite(r: SuiteResult) -> str:
    s = summary(r)
    head = (f"<h2>{escape(r.name)}</h2><p>prompt <code>{escape(str(r.prompt))}</code> at "
            f"<code>{escape(str(r.prompt_commit or r.prompt_ref or 'latest'))}</code> · model "
            f"<code>{escape(str(r.model))}</code> · {escape(r.mode)} · {s['passed']}/{s['cases']} passed · "
            f"p50 {s['p50_latency_ms']} ms · p95 {s['p95_latency_ms']} ms · {s['total_tokens']} tokens · "
            f"cost {s['total_cost_usd'] if s['total_cost_usd'] is not None else 'unknown'} USD · "
            f"started {escape(r.started_at)}</p>")
    thresholds = "".join(f"<li class='fail'>{escape(t)}</li>" for t in r.threshold_failures)
    plots = [histogram([c.metrics[name] for c in r.cases if name in c.metrics], name, 0.0, 1.0)
             for name in sorted(r.metric_means)]
    latencies = [c.exchange.latency_ms for c in r.cases if c.exchange.error is None]
    if latencies:
        plots.append(histogram(latencies, "latency (ms)"))
    names = sorted(r.metric_means)
    rows = "".join(
        f"<tr><td><code>{escape(c.case.id)}</code><br><small>{escape(', '.join(c.case.tags))}</small></td>"
        f"<td class='{'pass' if c.passed else 'fail'}'>{'pass' if c.passed else 'FAIL'}</td>"
        + "".join(f"<td>{c.metrics[n]:.3f}</td>" if n in c.metrics else "<td>–</td>" for n in names)
        + f"<td>{c.exchange.latency_ms:.0f}</td><td>{escape(', '.join(f'{k}={v}' for k, v in c.exchange.guardrails.items()))}</td>"
        f"<td><pre>{escape(c.exchange.text[:600] or str(c.exchange.error or ''))}</pre></td>"
        f"<td>{escape('; '.join(c.failures))}</td></tr>"
        for c in r.cases)
    header = "".join(f"<th>{escape(n)}</th>" for n in names)
    table = (f"<table><tr><th>case</th><th>result</th>{header}<th>ms</th><th>guardrails</th><th>answer</th>"
             f"<th>failures</th></tr>{rows}</table>")
    return head + (f"<ul>{thresholds}</ul>" if thresholds else "") + "".join(plots) + _extras(r) + table


def _extras(r: SuiteResult) -> str:
    out = ""
    families = dict(r.extras.get("families", {}))  # type: ignore[call-overload]
    if families:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{f['passed']}/{f['cases']} ({float(f['rate']):.0%})</td>"
                       f"<td>{escape(', '.join(f['through']) or '-')}</td></tr>" for k, f in sorted(families.items()))
        out += f"<table><tr><th>red-team family</th><th>held</th><th>got through</th></tr>{rows}</table>"
    gaps = dict(r.extras.get("bias", {}))  # type: ignore[call-overload]
    if gaps:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{float(g['gap']):.3f}</td><td>{escape(str(g['pair']))}</td></tr>"
                       for k, g in sorted(gaps.items()))
        out += f"<table><tr><th>attribute</th><th>largest gap</th><th>pair</th></tr>{rows}</table>"
    return out


def _diff(diff: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td>{escape(n)}</td><td>{d['before']}</td><td>{d['after']}</td><td>{d['delta']}</td></tr>"
                   for n, d in sorted(diff.get("metrics", {}).items()))
    cases = "".join(f"<tr><td><code>{escape(c['id'])}</code></td><td>{c['before']}</td><td>{c['after']}</td></tr>"
                    for c in diff.get("cases", []))
    return (f"<h2>Diff: {escape(str(diff.get('before')))} → {escape(str(diff.get('after')))}</h2>"
            f"<table><tr><th>metric</th><th>before</th><th>after</th><th>delta</th></tr>{rows}</table>"
            f"<table><tr><th>case</th><th>before</th><th>after</th></tr>{cases}</table>")
