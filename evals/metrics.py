"""Metrics a suite asks for, scored per case, and the thresholds on them (a mean, or every case).

ragas metrics go through `evals.ragas_metrics` (imported only then). `semantic_similarity` is the cosine of the
local MiniLM vectors of answer and reference; `grounding` is Warden's own grounding guardrail used offline as a
faithfulness score; `judge_rubric` asks the judge to grade coherence, relevance, completeness and style.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from evals.cassette import CURRENT_CASE, Cassette
from evals.suite import MetricThreshold

if TYPE_CHECKING:
    from evals.runner import CaseResult, Target

JUDGE_SUFFIX = "#judge"


@dataclass(frozen=True, slots=True)
class MetricContext:
    target: Target
    cassette: Cassette
    judge_model: str | None
    similarity: Callable[[str, str], float]

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        from evals.similarity import encode

        return [list(map(float, v)) for v in encode(texts)]


def question_of(result: CaseResult) -> str:
    case = result.case
    variables = case.variables or {}
    for key in ("question", "query", "input", "subject"):
        if isinstance(variables.get(key), str):
            return str(variables[key])
    users = [m.content for m in case.messages or [] if m.role == "user"]
    return users[-1] if users else " ".join(f"{k}: {v}" for k, v in variables.items() if isinstance(v, str))


def documents_of(result: CaseResult) -> list[str]:
    docs = list(result.case.documents)
    for value in (result.case.variables or {}).values():  # retrieved passages passed as a prompt variable
        if isinstance(value, list):
            docs += [str(v.get("text")) for v in value if isinstance(v, dict) and v.get("text")]
    return docs


def _applicable(name: str, result: CaseResult, tags: list[str]) -> bool:
    case = result.case
    if result.exchange.error is not None or not set(tags) <= set(case.tags):
        return False
    needs_reference = {"string_similarity", "rouge", "bleu", "semantic_similarity", "context_precision",
                       "context_recall", "non_llm_context_precision"}
    if name in needs_reference and not case.reference and name != "non_llm_context_precision":
        return False
    if name in {"faithfulness", "grounding", "context_precision", "context_recall", "non_llm_context_precision",
                "non_llm_context_recall"} and not documents_of(result):
        return False
    if name in {"non_llm_context_precision", "non_llm_context_recall"} and not case.reference_contexts:
        return False
    return True


async def score_metrics(
    thresholds: Sequence[MetricThreshold], results: Sequence[CaseResult], context: MetricContext
) -> dict[str, float]:
    """Score each requested metric on every case it applies to (into `result.metrics`); return the means."""
    means: dict[str, float] = {}
    for name in dict.fromkeys(t.metric for t in thresholds):
        tags = next(t.tags for t in thresholds if t.metric == name)
        scorer = _scorer(name, context)
        values = []
        for result in results:
            if not _applicable(name, result, tags):
                continue
            token = CURRENT_CASE.set(result.case.id + JUDGE_SUFFIX)
            try:
                value = await scorer(result)
            except Exception as exc:  # a judge that fails or answers nonsense fails the case, not the run
                result.failures.append(f"metric {name}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            finally:
                CURRENT_CASE.reset(token)
            if value != value:  # NaN: ragas could not score (e.g. the judge's JSON did not parse)
                result.failures.append(f"metric {name}: no score (the judge's answer could not be read)")
                continue
            result.metrics[name] = round(value, 4)
            values.append(value)
        if values:
            means[name] = round(sum(values) / len(values), 4)
    return means


def _scorer(name: str, context: MetricContext) -> Callable[[CaseResult], object]:
    if name == "semantic_similarity":
        async def semantic(r: CaseResult) -> float:
            return context.similarity(r.exchange.text, r.case.reference or "")
        return semantic
    if name == "grounding":
        async def grounding(r: CaseResult) -> float:
            from evals.similarity import grounding_score

            return await asyncio.to_thread(grounding_score, r.exchange.text, documents_of(r), question_of(r))
        return grounding
    if name == "judge_rubric":
        from evals.rubric import rubric_scorer

        return rubric_scorer(context)
    from evals import ragas_metrics

    metric = ragas_metrics.build_metric(name, context)

    async def ragas_score(r: CaseResult) -> float:
        item = ragas_metrics.sample(question_of(r), r.exchange.text, r.case.reference, documents_of(r),
                                    list(r.case.reference_contexts))
        return await ragas_metrics.score(metric, item)
    return ragas_score


def aggregate_thresholds(
    thresholds: Sequence[MetricThreshold], results: Sequence[CaseResult], means: dict[str, float]
) -> list[str]:
    failures = []
    for t in thresholds:
        if t.aggregate == "mean":
            mean = means.get(t.metric)
            if mean is None:
                failures.append(f"{t.metric}: no case could be scored")
            elif t.min is not None and mean < t.min:
                failures.append(f"{t.metric}: mean {mean:.3f} < {t.min:g}")
            elif t.max is not None and mean > t.max:
                failures.append(f"{t.metric}: mean {mean:.3f} > {t.max:g}")
            continue
        for r in results:
            value = r.metrics.get(t.metric)
            if value is None:
                continue
            if (t.min is not None and value < t.min) or (t.max is not None and value > t.max):
                bound = f"< {t.min:g}" if t.min is not None and value < t.min else f"> {t.max:g}"
                r.failures.append(f"metric {t.metric}: {value:.3f} {bound}")
    return failures
