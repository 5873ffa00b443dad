"""A validation report as one self-contained HTML page: tables, inline SVG bars per segment and per group, and the
calibration curve. Reuses the drift report's chart helpers and style."""

from __future__ import annotations

from html import escape

from registry.governance.measured import CalibrationBin, MeasuredMetric, SegmentResult
from registry.governance.records import ValidationReport
from registry.monitoring import svg

STYLE = ("body{font-family:sans-serif;max-width:900px;margin:2em auto}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:3px 6px;font-size:12px}.fail{color:#c0392b}.pass{color:#27ae60}")


def _num(value: float | None) -> str:
    return "&ndash;" if value is None else f"{value:.4f}"


def _verdict(passed: bool | None) -> str:
    if passed is None:
        return ""
    return '<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>'


def metric_table(metrics: list[MeasuredMetric]) -> str:
    rows = "".join(f"<tr><td>{m.name}</td><td>{_num(m.value)}</td><td>{_num(m.ci_low)} &ndash; "
                   f"{_num(m.ci_high)}</td><td>{_num(m.threshold)}</td><td>{_verdict(m.passed)}</td></tr>"
                   for m in metrics)
    head = "<tr><th>metric</th><th>value</th><th>95% interval</th><th>threshold</th><th></th></tr>"
    return f"<table>{head}{rows}</table>"


def segment_charts(segments: list[SegmentResult]) -> str:
    names = list(dict.fromkeys(m.name for s in segments for m in s.metrics))
    parts = []
    for name in names:
        items, threshold = [], None
        for s in segments:
            for m in s.metrics:
                if m.name == name and m.value is not None:
                    items.append((f"{'! ' if s.flagged else ''}{s.column} {s.segment}"[:28], m.value))
                    threshold = m.threshold
        marks = [] if threshold is None else [(threshold, svg.CRIT)]
        parts.append(f"<h3>{escape(name)} per segment</h3>" + svg.horizontal_bars(items, marks))
    return "".join(parts)


def calibration_curve(bins: list[CalibrationBin], size: int = 260) -> str:
    """Mean score against observed positive rate per score bin; the diagonal is perfect calibration."""
    def xy(x: float, y: float) -> str:
        return f"{30 + x * (size - 40):.1f},{size - 20 - y * (size - 40):.1f}"

    filled = [b for b in bins if b.mean_score is not None and b.positive_rate is not None]
    points = " ".join(xy(b.mean_score, b.positive_rate) for b in filled)  # type: ignore[arg-type]
    body = (f'<polyline points="{xy(0, 0)} {xy(1, 1)}" fill="none" stroke="{svg.REF}" stroke-dasharray="4 3"/>'
            f'<polyline points="{points}" fill="none" stroke="{svg.CUR}" stroke-width="1.5"/>'
            f'<text x="30" y="{size - 4}" font-size="9">mean score</text>'
            f'<text x="2" y="12" font-size="9">positive rate</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
            f'font-family="sans-serif">{body}</svg>')


def render_html(name: str, version: str, report: ValidationReport) -> str:
    verdict = "PASSED" if report.passed else "FAILED"
    parts = [f"<h1>{escape(name)} &middot; version {escape(version)}: validation {verdict}</h1>",
             f"<p>{escape(report.methodology)}</p>",
             f"<p>Data sha256 <code>{escape(report.data_sha256 or '')}</code>, {report.rows} rows, task "
             f"{escape(report.task or '')}, validated on {report.validated_on} by {escape(report.validator)}.</p>"]
    if report.issues:
        parts.append("<h2>Issues</h2><ul>" + "".join(f"<li>{escape(i)}</li>" for i in report.issues) + "</ul>")
    parts += ["<h2>Overall</h2>", metric_table(report.metrics)]
    if report.calibration:
        parts += ["<h2>Calibration</h2>", calibration_curve(report.calibration)]
    if report.segments:
        parts += ["<h2>Segments</h2><p>! marks a flagged segment; the red line is the threshold.</p>",
                  segment_charts(report.segments)]
    for f in report.fairness:
        parts.append(f"<h2>Fairness: {escape(f.attribute)} {_verdict(f.passed)}</h2>")
        parts.append(f"<p>demographic parity difference {_num(f.demographic_parity_difference)}, ratio "
                     f"{_num(f.demographic_parity_ratio)}; equalized odds difference "
                     f"{_num(f.equalized_odds_difference)}; equal opportunity difference "
                     f"{_num(f.equal_opportunity_difference)}</p>")
        parts.append("<h3>Selection rate by group</h3>" + svg.horizontal_bars(
            [(f"{g.group} (n={g.rows})", g.selection_rate) for g in f.groups], []))
        parts.append("<h3>True positive rate by group</h3>" + svg.horizontal_bars(
            [(f"{g.group} (n={g.rows})", g.true_positive_rate or 0.0) for g in f.groups], []))
    for r in report.robustness:
        drop = ", ".join(f"{k} {v:+.4f}" for k, v in r.drop.items())
        parts += [f"<h2>Robustness: {escape(r.scenario)} {_verdict(r.passed)}</h2>",
                  f"<p>{r.rows} rows; worsening vs reference: {escape(drop)}</p>", metric_table(r.metrics)]
    if report.skipped:
        parts.append("<h2>Not computed</h2><ul>" + "".join(f"<li>{escape(s)}</li>" for s in report.skipped) + "</ul>")
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>Warden validation report</title>'
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")
