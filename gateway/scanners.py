"""Per-line guardrail results for `warden scan`: one guardrail over a batch of JSONL records, one result per record.

Text guardrails get one segment per line in a single `check` call (the batching the guardrails already do), and
findings are sent back to their line by segment index. Injection goes through its detector's batch API instead,
so every line gets its own score even below the threshold. Grounding needs an answer and its context per line,
so each line is one check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

from guardrails.base import Action, CheckContext, Finding, Guardrail, Role, Segment, Stage

ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True, slots=True)
class LineResult:
    """What one guardrail found on one line. Findings carry types, spans and scores, never PII values."""

    action: Action
    score: float
    findings: tuple[Finding, ...] = ()
    metrics: tuple[tuple[str, float], ...] = ()
    """Extra per-line scores (the injection classifier's, the grounded score)."""
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"action": self.action, "score": round(self.score, 4),
                                  "findings": [_finding_json(f) for f in self.findings]}
        out.update((name, round(value, 4)) for name, value in self.metrics)
        if self.error is not None:
            out["error"] = self.error
        return out


def _finding_json(finding: Finding) -> dict[str, object]:
    out: dict[str, object] = {"kind": finding.kind, "score": round(finding.score, 4)}
    for name in ("start", "end", "detail"):
        value = getattr(finding, name)
        if value is not None:
            out[name] = value
    return out


@dataclass(frozen=True, slots=True)
class TextItem:
    text: str
    role: Role


@dataclass(frozen=True, slots=True)
class GroundingItem:
    answer: str
    contexts: tuple[str, ...]
    question: str | None = None


Item = TextItem | GroundingItem


class LineScanner:
    """Runs one configured guardrail over batches of lines; the output key is `key`."""

    def __init__(self, key: str, guardrail: Guardrail, stage: Stage) -> None:
        self.key = key
        self.guardrail = guardrail
        self.stage = stage

    def parse(self, record: Mapping[str, object]) -> Item:
        """The line's input for this guardrail; ValueError names what is missing."""
        text = record.get("text")
        if text is None and self.stage == "output":
            text = record.get("answer")
        if not isinstance(text, str):
            raise ValueError(f"needs a string 'text' field, got {_kind(text)}")
        role = record.get("role", "user" if self.stage == "input" else "output")
        if role not in ROLES:
            raise ValueError(f"'role' must be one of {', '.join(ROLES)}, got {role!r}")
        return TextItem(text, role)  # type: ignore[arg-type]

    async def scan(self, items: Sequence[Item]) -> list[LineResult]:
        texts = [item for item in items if isinstance(item, TextItem)]
        segments = [Segment(item.text, item.role, index) for index, item in enumerate(texts)]
        verdict = await self.guardrail.check(segments, CheckContext(stage=self.stage))
        per_line: list[list[Finding]] = [[] for _ in items]
        for finding in verdict.findings:
            if finding.segment is not None:
                per_line[finding.segment].append(finding)
        return [self._result(found) for found in per_line]

    def _result(self, findings: list[Finding]) -> LineResult:
        if not findings:
            return LineResult("allow", 0.0)
        return LineResult(self.guardrail.options.mode, max(f.score for f in findings), tuple(findings))  # type: ignore[arg-type]

    async def scan_safely(self, items: Sequence[Item]) -> list[LineResult]:
        """A failing batch is retried line by line, so one bad line does not take its neighbours down."""
        try:
            return await self.scan(items)
        except Exception:  # isolate the failing line below
            if len(items) == 1:
                return [await self._one(items[0])]
        return [await self._one(item) for item in items]

    async def _one(self, item: Item) -> LineResult:
        try:
            return (await self.scan([item]))[0]
        except Exception as exc:  # the error is reported per line; the scan goes on
            return LineResult("error", 0.0, error=f"{type(exc).__name__}: {exc}"[:300])


class InjectionScanner(LineScanner):
    """Uses the detector's batch API so every line reports its rules and classifier score."""

    async def scan(self, items: Sequence[Item]) -> list[LineResult]:
        texts = [item for item in items if isinstance(item, TextItem)]
        detector = self.guardrail.detector  # type: ignore[attr-defined]
        results = await asyncio.to_thread(detector.score_batch, [t.text for t in texts], [t.role for t in texts])
        out = []
        for item, result in zip(texts, results, strict=True):
            threshold = self.guardrail.opts.thresholds.for_role(item.role)  # type: ignore[attr-defined]
            findings = [Finding(f"injection.{h.rule.id}", h.score, detail=h.rule.family) for h in result.hits]
            findings.extend(Finding("injection.decoded", result.score, detail=d.encoding) for d in result.decoded)
            triggered = threshold is not None and result.score >= threshold
            action: Action = self.guardrail.options.mode if triggered else "allow"  # type: ignore[assignment]
            out.append(LineResult(action, result.score, tuple(findings),
                                  (("classifier_score", result.classifier_score), ("rule_score", result.rule_score))))
        return out


class GroundingScanner(LineScanner):
    """One check per line: each answer has its own context."""

    def parse(self, record: Mapping[str, object]) -> Item:
        answer, context, question = record.get("answer"), record.get("context"), record.get("question")
        if not isinstance(answer, str):
            raise ValueError(f"grounding needs a string 'answer' field, got {_kind(answer)}")
        if isinstance(context, str):
            contexts: tuple[str, ...] = (context,)
        elif isinstance(context, list) and all(isinstance(c, str) for c in context):
            contexts = tuple(context)
        else:
            raise ValueError(f"grounding needs 'context' as a string or a list of strings, got {_kind(context)}")
        if question is not None and not isinstance(question, str):
            raise ValueError(f"'question' must be a string, got {_kind(question)}")
        return GroundingItem(answer, contexts, question)

    async def scan(self, items: Sequence[Item]) -> list[LineResult]:
        return list(await asyncio.gather(*(self._check(item) for item in items if isinstance(item, GroundingItem))))

    async def _check(self, item: GroundingItem) -> LineResult:
        segments = [Segment(item.question, "user")] if item.question else []
        segments.append(Segment(item.answer, "output"))
        verdict = await self.guardrail.check(segments, CheckContext(stage="output", documents=item.contexts))
        return LineResult(verdict.action, verdict.score, verdict.findings, (("grounded", 1.0 - verdict.score),))


def scanner_for(key: str, guardrail: Guardrail, stage: Stage) -> LineScanner:
    if guardrail.name == "grounding":
        return GroundingScanner(key, guardrail, stage)
    if guardrail.name == "injection" and hasattr(guardrail, "detector"):
        return InjectionScanner(key, guardrail, stage)
    return LineScanner(key, guardrail, stage)


def _kind(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r:.40}"
