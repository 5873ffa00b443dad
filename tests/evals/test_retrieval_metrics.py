"""Retrieval metrics on a small labelled set whose expected values are computed by hand (in the comments)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evals.retrieval import ndcg_at, precision_at, recall_at, reciprocal_rank
from evals.retrieval_suite import RetrievalSuite, evaluate
from gateway.cli import cli
from registry.rag.retrieval_runs import list_retrieval_runs

L2, L3, L4 = math.log2(2), math.log2(3), math.log2(4)  # 1, 1.585, 2

# q1: relevant geo/a (grade 2), geo/b (grade 1); q2: relevant hr/x.
SUITE = {
    "name": "kb",
    "k": [1, 3],
    "min": {"ndcg@3": 0.5},
    "queries": [
        {"id": "q1", "relevant": {"geo/a": 2, "geo/b": 1},
         "retrieved": {"e5@v1": ["geo/c", "geo/a", "hr/x"], "e5@v2": ["geo/a", "geo/b", "geo/c"]}},
        {"id": "q2", "relevant": ["hr/x"],
         "retrieved": {"e5@v1": ["hr/y", "hr/z", "geo/a"], "e5@v2": ["hr/x"]}},
    ],
}


@pytest.mark.parametrize(("metric", "value"), [
    # v1, q1: ranks c(0) a(2) x(0)
    (lambda: precision_at(["geo/c", "geo/a", "hr/x"], {"geo/a": 2, "geo/b": 1}, 3), 1 / 3),
    (lambda: recall_at(["geo/c", "geo/a", "hr/x"], {"geo/a": 2, "geo/b": 1}, 3), 1 / 2),
    (lambda: reciprocal_rank(["geo/c", "geo/a", "hr/x"], {"geo/a": 2, "geo/b": 1}), 1 / 2),
    # DCG = 2/log2(3); IDCG = 2/log2(2) + 1/log2(3)
    (lambda: ndcg_at(["geo/c", "geo/a", "hr/x"], {"geo/a": 2, "geo/b": 1}, 3), (2 / L3) / (2 / L2 + 1 / L3)),
    (lambda: ndcg_at(["geo/a", "geo/b"], {"geo/a": 2, "geo/b": 1}, 3), 1.0),
    (lambda: ndcg_at(["hr/y"], {"hr/x": 1}, 3), 0.0),
    (lambda: precision_at(["hr/x"], {"hr/x": 1}, 3), 1 / 3),  # k counts the missing ranks too
])
def test_metric_by_hand(metric, value: float) -> None:  # type: ignore[no-untyped-def]
    assert metric() == pytest.approx(value)


def test_suite_means_per_version_and_per_source() -> None:
    v1, v2 = evaluate(RetrievalSuite.model_validate(SUITE))
    assert (v1.version, v2.version) == ("e5@v1", "e5@v2")
    # v1: q1 P@1 0, P@3 1/3, R@3 1/2, RR 1/2, nDCG@3 1.2619 / 2.6309 = 0.4796;
    # q2: nothing relevant within 3 -> 0 everywhere.
    ndcg_q1 = (2 / L3) / (2 / L2 + 1 / L3)
    assert v1.metrics["precision@1"] == 0.0
    assert v1.metrics["precision@3"] == pytest.approx((1 / 3) / 2, abs=1e-6)
    assert v1.metrics["recall@3"] == pytest.approx(0.25, abs=1e-6)
    assert v1.metrics["mrr"] == pytest.approx(0.25, abs=1e-6)
    assert v1.metrics["ndcg@3"] == pytest.approx(ndcg_q1 / 2, abs=1e-6)
    assert v1.missed == [f"ndcg@3 {ndcg_q1 / 2:.4f} < 0.5"]
    # v2: q1 perfect ranking (a, b): P@3 2/3, R@3 1, RR 1, nDCG 1; q2: P@3 1/3, R@3 1, RR 1, nDCG 1.
    assert v2.metrics["precision@3"] == pytest.approx(0.5, abs=1e-6)
    assert v2.metrics["recall@3"] == v2.metrics["mrr"] == v2.metrics["ndcg@3"] == 1.0
    assert v2.passed
    # Per source, v1: geo only counts q1 with its geo chunks (c, a): RR 1/2, nDCG@3 = (2/log2 3)/(2 + 1/log2 3);
    # hr only counts q2 with its hr chunks (y, z): 0.
    assert v1.per_source["geo"]["mrr"] == 0.5
    assert v1.per_source["geo"]["ndcg@3"] == pytest.approx(ndcg_q1, abs=1e-6)
    assert v1.per_source["hr"]["recall@3"] == 0.0
    assert v2.per_source["hr"]["mrr"] == 1.0


def test_cli_prints_stores_runs_and_fails_below_threshold(tmp_path: Path) -> None:
    suite = tmp_path / "kb.retrieval.yaml"
    suite.write_text(yaml.safe_dump(SUITE))
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = CliRunner().invoke(cli, ["sources", "eval", str(suite), "--database-url", url])
    assert result.exit_code == 1, result.output
    assert "kb [e5@v1] 2 queries FAIL: ndcg@3 0.2398 < 0.5" in result.output
    assert "kb [e5@v2] 2 queries PASS" in result.output
    from registry.db import make_engine

    runs = {r.model: r for r in list_retrieval_runs(make_engine(url), "kb")}
    assert set(runs) == {"e5@v1", "e5@v2"} and runs["e5@v2"].passed and not runs["e5@v1"].passed
    assert runs["e5@v2"].summary["per_source"]["hr"]["mrr"] == 1.0


def test_a_bad_suite_is_refused_with_the_field(tmp_path: Path) -> None:
    suite = tmp_path / "bad.retrieval.yaml"
    suite.write_text(yaml.safe_dump({**SUITE, "k": [0]}))
    result = CliRunner().invoke(cli, ["sources", "eval", str(suite), "--no-store"])
    assert result.exit_code == 2 and "k: Value error, every k must be at least 1" in result.output
