"""The layered injection detector with a synchronous batch API, shared by the guardrail, `warden scan` and evals.

Each text is normalised (and hidden payloads decoded) and run through the rules; then the trained cross-encoder
(`model.py`) reads it with its role and the user's request, and its decoded payloads on their own. A text's
score is the larger of its best rule score and the model's score.

With `layers.cascade`, the user's own messages first meet a cheap n-gram model (`lexical.py`): a user or
assistant message it is sure is benign, or one a decisive rule already blocks, never reaches the
cross-encoder. Documents and tool results always do (unless a rule settles them): that is where a trained
model is needed most, and where a miss costs most.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from guardrails.base import Role
from guardrails.injection.lexical import LEXICAL_PATH, LexicalModel
from guardrails.injection.model import MANIFEST_PATH, MODEL_PATH, InjectionModel, shared_model
from guardrails.injection.options import Layers, RoleThresholds
from guardrails.injection.rules import RuleHit, match_rules
from guardrails.lru import Lru
from guardrails.normalize import Decoded, Normalized, normalize

INDIRECT_ROLES: tuple[Role, ...] = ("tool", "document")
DECISIVE_RULE = 0.9
"""A rule score at or above this settles a text as an injection without the model."""
RESULT_ENTRIES = 4096
RESULT_CACHE_BYTES = 16 << 20
RESULT_BYTES = 512
"""What one cached result weighs besides its decoded payloads (the result, its hits, the key)."""


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
    """False when the cascade settled the text without the cross-encoder (`classifier_score` is then 0 if a
    decisive rule settled it, or the n-gram score if stage one did)."""


@dataclass(slots=True)
class Prepared:
    """One text after the cheap layers: its views, the rules it hit, and the texts the model will read."""

    normalized: Normalized
    hits: list[RuleHit]
    texts: list[str]

    @property
    def rule_score(self) -> float:
        return max((h.score for h in self.hits), default=0.0)


class InjectionDetector:
    """Rules + decoding + the cross-encoder. Call `load()` once (it reads and checks the weights)."""

    def __init__(
        self,
        layers: Layers = Layers(),
        model_path: Path = MODEL_PATH,
        manifest_path: Path = MANIFEST_PATH,
        lexical_weights: Path = LEXICAL_PATH,
        max_windows: int = 24,
        indirect_roles: Sequence[str] = INDIRECT_ROLES,
        thresholds: RoleThresholds = RoleThresholds(),
        shared: bool = True,
    ) -> None:
        self.layers = layers
        self.thresholds = thresholds
        # One model per process by default (`shared_model`); a private one has its own, empty score cache.
        self._shared = shared
        self._exit_roles: frozenset[str] = frozenset()
        self._paths = (model_path, manifest_path)
        self._model: InjectionModel | None = None
        self._lexical_weights = lexical_weights
        self._lexical: LexicalModel | None = None
        self.max_windows = max_windows
        self.indirect_roles = frozenset(indirect_roles)
        self._lock = threading.Lock()
        # Keyed by digest: the texts themselves are not kept; decoded payloads are, and count towards the bytes.
        self._results: Lru[bytes, InjectionResult] = Lru(RESULT_ENTRIES, max_bytes=RESULT_CACHE_BYTES)

    def load(self) -> None:
        if not self.layers.classifier or self._model is not None:
            return
        self._model = shared_model(*self._paths) if self._shared else InjectionModel(*self._paths)
        if self.layers.cascade:
            self._lexical = LexicalModel.load(self._lexical_weights)
            # The model's early exit is the cascade's second stage, for the roles at thresholds it was validated at.
            model = self._model
            self._exit_roles = frozenset(role for role in RoleThresholds.model_fields
                                         if model.may_exit(role, self.thresholds.for_role(role)))  # type: ignore[arg-type]

    def prepare(self, text: str, role: str) -> Prepared:
        """Normalise, decode and run the rules; list the texts the model will read."""
        normalized = normalize(text, depth=2 if self.layers.decode else 0)
        decoded = [normalize(d.text, depth=0) for d in normalized.decoded]
        hits: list[RuleHit] = []
        if self.layers.rules:
            views = list(normalized.rule_views())
            for payload in decoded:
                views.extend(payload.rule_views())
            hits = match_rules(views, indirect=role in self.indirect_roles)
        texts = [normalized.clean, *(payload.clean for payload in decoded)] if normalized.clean else []
        return Prepared(normalized, hits, texts)

    def _settled(self, work: Prepared, role: str) -> float | None:
        """The model-side score of a text the cascade settles without the model (0 when a rule settles it, the
        n-gram score when stage one does), else None."""
        if not self.layers.cascade:
            return None
        if work.rule_score >= DECISIVE_RULE:
            return 0.0
        if self._lexical is None or role in self.indirect_roles:
            return None
        score = self._lexical.score("\n".join(work.texts))
        return score if score < self._lexical.low else None

    def _classify(self, works: Sequence[Prepared], roles: Sequence[str], requests: Sequence[str]) -> list[tuple[float, bool]]:
        """(model score, whether the model ran) per text."""
        if self._model is None:
            if self.layers.classifier:
                raise RuntimeError("InjectionDetector.load() must be called before scoring with the classifier on")
            return [(0.0, False)] * len(works)
        settled = [self._settled(w, r) for w, r in zip(works, roles, strict=True)]
        items: list[tuple[str, str, str]] = []
        owners: list[int] = []
        for i, (work, role, request, done) in enumerate(zip(works, roles, requests, settled, strict=True)):
            if done is None:
                # Decoded payloads are read without the request: they are judged for what they say alone.
                items += [(role, request if k == 0 else "", t) for k, t in enumerate(work.texts)]
                owners += [i] * len(work.texts)
        scores = self._model.score(items, max_windows=self.max_windows, exit_roles=self._exit_roles) if items else []
        best = [0.0] * len(works)
        for owner, score in zip(owners, scores, strict=True):
            best[owner] = max(best[owner], score)
        return [(best[i], True) if done is None else (done, False) for i, done in enumerate(settled)]

    def score_batch(
        self,
        texts: Sequence[str],
        roles: Sequence[Role | str] | None = None,
        requests: Sequence[str] | None = None,
    ) -> list[InjectionResult]:
        """Score many texts at once. `roles` (default all `user`) switches on the indirect rules and is part of
        the model's input; `requests` holds, per text, the user request a document or tool result answers.

        Results of texts seen recently with the same role and request come from a cache: a chat resends its
        whole history on every turn, and an earlier turn must not pay for normalisation, rules and the n-gram
        stage again (the model's own cache spared it only the cross-encoder)."""
        roles = list(roles) if roles is not None else ["user"] * len(texts)
        requests = list(requests) if requests is not None else [""] * len(texts)
        if not len(roles) == len(requests) == len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(roles)} roles and {len(requests)} requests")
        keys = [_digest(text, role, request) for text, role, request in zip(texts, roles, requests, strict=True)]
        with self._lock:
            found = [self._results.get(key) for key in keys]
        todo = [i for i, result in enumerate(found) if result is None]
        if todo:
            fresh = self._score_batch([texts[i] for i in todo], [roles[i] for i in todo], [requests[i] for i in todo])
            with self._lock:
                for i, result in zip(todo, fresh, strict=True):
                    found[i] = result
                    self._results.put(keys[i], result, RESULT_BYTES + sum(len(d.text) for d in result.decoded))
        return found  # type: ignore[return-value]

    def _score_batch(self, texts: Sequence[str], roles: Sequence[str], requests: Sequence[str]) -> list[InjectionResult]:
        works = [self.prepare(text, role) for text, role in zip(texts, roles, strict=True)]
        scores = self._classify(works, roles, requests)
        results = []
        for work, (clf, encoded) in zip(works, scores, strict=True):
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

    def score(self, text: str, role: Role | str = "user", request: str = "") -> InjectionResult:
        return self.score_batch([text], [role], [request])[0]


def _digest(text: str, role: str, request: str) -> bytes:
    joined = "\x00".join((role, request, text)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(joined, digest_size=16).digest()
