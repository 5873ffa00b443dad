"""Retrieval suites (`*.retrieval.yaml`): labelled queries, the chunks each embedding version's index retrieved for
them, and optional thresholds. The result has the mean metrics per embedding version, overall and per source (a
chunk ref is `source_id/chunk_id`; per source, only that source's chunks count, over the queries with a relevant chunk
in it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from evals.retrieval import query_metrics

Ref = str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelledQuery(Strict):
    id: str = Field(min_length=1, max_length=200)
    query: str = ""
    relevant: dict[Ref, float] | list[Ref]
    """The relevant chunks (`source/chunk`), with a grade each, or a list (grade 1)."""
    retrieved: dict[str, list[Ref]]
    """Embedding version (`model@version`) -> the chunks its index returned, best first."""

    def grades(self) -> dict[Ref, float]:
        return dict(self.relevant) if isinstance(self.relevant, dict) else {ref: 1.0 for ref in self.relevant}


class RetrievalSuite(Strict):
    name: str = Field(min_length=1, max_length=200)
    k: list[int] = Field(default=[1, 3, 5], min_length=1)
    min: dict[str, float] = {}
    """Thresholds on the overall mean of a metric (e.g. `ndcg@3: 0.6`), checked for every embedding version."""
    queries: list[LabelledQuery] = Field(min_length=1)

    @field_validator("k")
    @classmethod
    def _positive(cls, ks: list[int]) -> list[int]:
        if any(k < 1 for k in ks):
            raise ValueError(f"every k must be at least 1, got {ks}")
        return ks


class SuiteError(ValueError):
    """The suite file cannot be used; the message names the file and the field."""


def load_suite(path: Path) -> RetrievalSuite:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return RetrievalSuite.model_validate(data)
    except OSError as exc:
        raise SuiteError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: invalid YAML: {exc}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise SuiteError(f"{path}: {where}: {error['msg']}") from None


@dataclass(slots=True)
class VersionResult:
    """One embedding version's means, overall and per source, and the thresholds it missed."""

    version: str
    queries: int
    metrics: dict[str, float]
    per_source: dict[str, dict[str, float]] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.missed


def source_of(ref: Ref) -> str:
    return ref.split("/", 1)[0]


def _mean(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    return {name: round(sum(r[name] for r in rows) / len(rows), 6) for name in rows[0]} if rows else {}


def evaluate(suite: RetrievalSuite) -> list[VersionResult]:
    versions = sorted({v for q in suite.queries for v in q.retrieved})
    results = []
    for version in versions:
        queries = [q for q in suite.queries if version in q.retrieved]
        overall = [query_metrics(q.retrieved[version], q.grades(), suite.k) for q in queries]
        result = VersionResult(version, len(queries), _mean(overall))
        for source in sorted({source_of(ref) for q in queries for ref in q.grades()}):
            rows = []
            for q in queries:
                grades = {r: g for r, g in q.grades().items() if source_of(r) == source}
                if any(g > 0 for g in grades.values()):
                    ranked = [r for r in q.retrieved[version] if source_of(r) == source]
                    rows.append(query_metrics(ranked, grades, suite.k))
            result.per_source[source] = _mean(rows)
        result.missed = [f"{name} {result.metrics.get(name, 0.0):.4f} < {low}" for name, low in suite.min.items()
                         if result.metrics.get(name, 0.0) < low]
        results.append(result)
    return results
