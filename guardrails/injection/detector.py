"""The layered injection detector with a synchronous batch API, shared by the guardrail, `warden scan` and evals.

Each text is normalised (and hidden payloads decoded), run through the rules, and cut into sentence windows that
are embedded in one batch for the whole call; a text's classifier score is the maximum over its windows and the
windows of its decoded payloads, and its final score is the larger of that and its best rule score.

With `layers.cascade`, a cheap n-gram model scores each text first (`lexical.py`); a text whose score is outside
its uncertain band, or whose rules already score above the band, is not embedded and keeps the n-gram score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from guardrails.base import Role
from guardrails.embeddings import Embedder, shared_embedder
from guardrails.injection.classifier import WEIGHTS_PATH, InjectionClassifier
from guardrails.injection.features import style_features
from guardrails.injection.lexical import LEXICAL_PATH, LexicalModel
from guardrails.injection.options import Layers
from guardrails.injection.rules import RuleHit, match_rules
from guardrails.normalize import Decoded, Normalized, normalize, windows

INDIRECT_ROLES: tuple[Role, ...] = ("tool", "document")


@dataclass(frozen=True, slots=True)
class InjectionResult:
    """Scores of one text. `decoded` holds payloads found hidden in it (checked like the text itself)."""

    score: float
    rules_hit: tuple[str, ...] = ()
    decoded: tuple[Decoded, ...] = ()
    rule_score: float = 0.0
    classifier_score: float = 0.0
    hits: tuple[RuleHit, ...] = field(default=(), repr=False)
    encoded: bool = True
    """False when the cascade settled the text without MiniLM (`classifier_score` is then the n-gram score)."""


@dataclass(slots=True)
class Prepared:
    """One text after the cheap layers: its views, the rules it hit, and the windows to embed."""

    normalized: Normalized
    hits: list[RuleHit]
    windows: list[str]
    lexical_text: str

    @property
    def rule_score(self) -> float:
        return max((h.score for h in self.hits), default=0.0)


class InjectionDetector:
    """Rules + decoding + MiniLM classifier. Call `load()` once (it loads the embedder and weights)."""

    def __init__(
        self,
        layers: Layers = Layers(),
        weights: Path = WEIGHTS_PATH,
        lexical_weights: Path = LEXICAL_PATH,
        embedder: Embedder | None = None,
        max_windows: int = 48,
        indirect_roles: Sequence[str] = INDIRECT_ROLES,
    ) -> None:
        self.layers = layers
        self._weights = weights
        self._embedder = embedder
        self._classifier: InjectionClassifier | None = None
        self._lexical_weights = lexical_weights
        self._lexical: LexicalModel | None = None
        self.max_windows = max_windows
        self.indirect_roles = frozenset(indirect_roles)

    def load(self) -> None:
        if not self.layers.classifier or self._classifier is not None:
            return
        self._classifier = InjectionClassifier.load(self._weights)
        if self.layers.cascade:
            self._lexical = LexicalModel.load(self._lexical_weights)
        self._embedder = self._embedder or shared_embedder()
        self._embedder.load()

    def prepare(self, text: str, role: str) -> Prepared:
        """Normalise, decode and run the rules; list the windows the classifier will score."""
        normalized = normalize(text, depth=2 if self.layers.decode else 0)
        decoded = [normalize(d.text, depth=0) for d in normalized.decoded]
        hits: list[RuleHit] = []
        if self.layers.rules:
            views = list(normalized.rule_views())
            for payload in decoded:
                views.extend(payload.rule_views())
            hits = match_rules(views, indirect=role in self.indirect_roles)
        chunks: list[str] = []
        if self.layers.classifier:
            chunks = windows(normalized.clean, max_windows=self.max_windows) if normalized.clean else []
            for payload in decoded:
                chunks.extend(windows(payload.clean, max_windows=4))
        lexical_text = "\n".join([normalized.clean, *(payload.clean for payload in decoded)])
        return Prepared(normalized, hits, chunks, lexical_text)

    def _settled(self, works: Sequence[Prepared]) -> list[float | None]:
        """Stage one: the n-gram score of each text the cascade can settle without MiniLM, else None."""
        if self._lexical is None:
            return [None] * len(works)
        out: list[float | None] = []
        for work in works:
            score = self._lexical.score(work.lexical_text)
            sure = self._lexical.certain(score) or work.rule_score > self._lexical.high
            out.append(score if sure else None)
        return out

    def _classify(self, works: Sequence[Prepared]) -> list[tuple[float, bool]]:
        """(classifier score, whether MiniLM ran) per text."""
        if self._classifier is None or self._embedder is None:
            if self.layers.classifier:
                raise RuntimeError("InjectionDetector.load() must be called before scoring with the classifier on")
            return [(0.0, False)] * len(works)
        settled = self._settled(works)
        pending = [work for work, s in zip(works, settled, strict=True) if s is None]
        unique = sorted({chunk for work in pending for chunk in work.windows})
        by_chunk: dict[str, float] = {}
        if unique:
            features = np.hstack([self._embedder.encode(unique), style_features(unique)])
            by_chunk = dict(zip(unique, self._classifier.predict(features).tolist(), strict=True))
        return [
            (max((by_chunk[c] for c in work.windows), default=0.0), True) if s is None else (s, False)
            for work, s in zip(works, settled, strict=True)
        ]

    def score_batch(self, texts: Sequence[str], roles: Sequence[Role | str] | None = None) -> list[InjectionResult]:
        """Score many texts at once; `roles` (default all `user`) switches on the indirect-injection rules."""
        roles = list(roles) if roles is not None else ["user"] * len(texts)
        if len(roles) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(roles)} roles")
        works = [self.prepare(text, role) for text, role in zip(texts, roles, strict=True)]
        classifier_scores = self._classify(works)
        results = []
        for work, (clf, encoded) in zip(works, classifier_scores, strict=True):
            rule_score = work.rule_score
            results.append(
                InjectionResult(
                    score=float(max(rule_score, clf)),
                    rules_hit=tuple(h.rule.id for h in work.hits),
                    decoded=work.normalized.decoded,
                    rule_score=rule_score,
                    classifier_score=float(clf),
                    hits=tuple(work.hits),
                    encoded=encoded,
                )
            )
        return results

    def score(self, text: str, role: Role | str = "user") -> InjectionResult:
        return self.score_batch([text], [role])[0]
