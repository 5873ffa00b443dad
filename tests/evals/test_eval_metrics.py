"""Metrics on cases with known answers: ragas' non-LLM metrics, ragas faithfulness judged by a scripted judge
through the gateway (its calls costed on usage rows), and the server never importing ragas or langchain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.cassette import Cassette
from evals.exchange import Exchange
from evals.metrics import MetricContext, aggregate_thresholds, score_metrics
from evals.runner import CaseResult, Target
from evals.suite import Case, MetricThreshold
from tests.gateway.conftest import deployment

CONTEXT = "Paris is the capital of France. It has about two million inhabitants."


def _result(answer: str, reference: str | None = None, case_id: str = "c1") -> CaseResult:
    case = Case(id=case_id, messages=[{"role": "user", "content": "What is the capital of France?"}],
                documents=[CONTEXT], reference=reference, reference_contexts=[CONTEXT])
    return CaseResult(case, Exchange(status=200, text=answer))


def _no_similarity(a: str, b: str) -> float:
    raise AssertionError("not used")


@pytest.mark.parametrize(("metric", "answer", "expected"), [
    ("rouge", "Paris is the capital of France.", 1.0),
    ("bleu", "Paris is the capital of France.", 1.0),
    ("string_similarity", "Paris is the capital of France.", 1.0),
    ("non_llm_context_recall", "anything", 1.0),
])
async def test_non_llm_ragas_metrics_with_known_answers(metric: str, answer: str, expected: float,
                                                       tmp_path: Path) -> None:
    context = MetricContext(Target("http://unused.invalid", "k"), Cassette(tmp_path / "c.json", "live"), None,
                            _no_similarity)
    same, other = _result(answer, "Paris is the capital of France."), _result("Bananas grow in bunches.",
                                                                            "Paris is the capital of France.", "c2")
    thresholds = [MetricThreshold(metric=metric, min=0.9, aggregate="per_case")]
    means = await score_metrics(thresholds, [same, other], context)
    assert same.metrics[metric] == pytest.approx(expected, abs=1e-3)
    if metric != "non_llm_context_recall":  # recall compares the contexts, not the answer
        assert other.metrics[metric] < 0.5
        aggregate_thresholds(thresholds, [same, other], means)
        assert same.passed and not other.passed and f"metric {metric}" in other.failures[0]


async def test_faithfulness_judged_through_the_gateway(make_gateway, upstream, tmp_path: Path) -> None:
    statements = {"statements": ["Paris is the capital of France.", "Paris has ten million inhabitants."]}
    verdicts = {"statements": [
        {"statement": "Paris is the capital of France.", "reason": "stated in the context", "verdict": 1},
        {"statement": "Paris has ten million inhabitants.", "reason": "the context says two million", "verdict": 0},
    ]}
    upstream.enqueue(reply=json.dumps(statements))
    upstream.enqueue(reply=json.dumps(verdicts))
    with make_gateway({"model_list": [deployment("judge", upstream)]}) as gw:
        target = Target(gw.base_url, gw.keys["alpha"])
        cassette = Cassette(tmp_path / "judge.cassette.json", "record")
        context = MetricContext(target, cassette, "judge", _no_similarity)
        result = _result("Paris is the capital of France and has ten million inhabitants.")
        means = await score_metrics([MetricThreshold(metric="faithfulness", min=0.8)], [result], context)
        rows = gw.rows(requested_model="judge")
    assert result.metrics["faithfulness"] == pytest.approx(0.5)
    assert means == {"faithfulness": 0.5}
    assert aggregate_thresholds([MetricThreshold(metric="faithfulness", min=0.8)], [result], means) == [
        "faithfulness: mean 0.500 < 0.8"]
    assert len(rows) == 2 and all(r.cost_usd > 0 for r in rows)  # the judge's calls are costed usage rows
    cassette.save()

    replay = Cassette(tmp_path / "judge.cassette.json", "replay")  # the same scores offline
    offline = _result("Paris is the capital of France and has ten million inhabitants.")
    context = MetricContext(Target("http://replay.invalid", "replay"), replay, "judge", _no_similarity)
    await score_metrics([MetricThreshold(metric="faithfulness")], [offline], context)
    assert offline.metrics["faithfulness"] == pytest.approx(0.5) and not replay.misses


def test_the_server_does_not_import_ragas_or_langchain() -> None:
    code = ("import sys, gateway.app, gateway.cli.serve; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'ragas', 'langchain', 'langchain_core', "
            "'langchain_openai', 'evals'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


async def test_answer_relevancy_uses_the_judge_and_the_local_embeddings(make_gateway, upstream, tmp_path: Path) -> None:
    from evals.similarity import cosine

    upstream.enqueue(reply=json.dumps({"question": "What is the capital of France?", "noncommittal": 0}))
    with make_gateway({"model_list": [deployment("judge", upstream)]}) as gw:
        context = MetricContext(Target(gw.base_url, gw.keys["alpha"]), Cassette(tmp_path / "c.json", "live"),
                                "judge", cosine)
        result = _result("Paris is the capital of France.")
        await score_metrics([MetricThreshold(metric="answer_relevancy")], [result], context)
    # the judge's question is the case's question word for word: cosine 1 with the packaged MiniLM
    assert result.metrics["answer_relevancy"] == pytest.approx(1.0, abs=1e-3)
