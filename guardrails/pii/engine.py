"""`PiiEngine`: the synchronous detector shared by the guardrail, `warden scan` and the eval.

One instance per process (`shared_engine()`); models load once in `load()`. A batch is split by language
and each language's texts go through spaCy in one `nlp.pipe` call, then through Presidio's recognizers.
Results are kept in a small LRU cache per (text, language, threshold): a chat resends its whole history and
system prompt on every turn, and only the new message needs the 5-10 ms of NER.
Entities come from the trained name tagger (`name_model.py`, through `tagger_nlp.TaggerNlpEngine`), which
runs only on texts with a candidate word; `ner="spacy"` brings back the small spaCy models instead. PERSON is
the tagger's spans (`persons="tagger"`) or the name finder's (`names.py`), which weighs the NER's entities with a
gazetteer and context (`persons="finder"`, the only choice with spaCy).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from guardrails.pii.lean_import import hidden

with hidden():  # the first import of Presidio and spaCy in a process: see lean_import
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
    from spacy.tokens import Doc

from guardrails.lru import Lru
from guardrails.pii.entities import ALL_ENTITIES, LANGUAGES, Entity, Language
from guardrails.pii.gazetteer import Gazetteer
from guardrails.pii.gazetteer import load as load_gazetteer
from guardrails.pii.language import detect_language
from guardrails.pii.names import NameFinder
from guardrails.pii.nlp import DEFAULT_MODELS, SlimSpacyNlpEngine
from guardrails.pii.postprocess import Candidate, clean, resolve_overlaps
from guardrails.pii.recognizers import build_recognizers
from guardrails.pii.name_model import Tagged
from guardrails.pii.tagger_nlp import TAGGED_KEY

_BOOSTED = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY
_PERSON_LABELS = frozenset({"PERSON", "PER"})
# Points a spaCy label of something other than a person takes from a name candidate (English and French
# models). The small models call most unknown capitalised words ORG, so that label weighs little;
# nationalities (NORP) they get right.
_NOT_PERSON_LABELS = {"ORG": 1.0, "MISC": 1.0, "PRODUCT": 1.0, "WORK_OF_ART": 1.0, "EVENT": 1.0,
                      "GPE": 1.5, "LOC": 1.5, "FAC": 1.5, "NORP": 3.0}  # fmt: skip


_TAGGER_LABELS = {"LOC": 1.5, "ORG": 1.0}
_TAGGER_O = 1.5
_CAPITALISED = re.compile(r"(?<!\w)[^\W\d_a-zà-ÿ][\w'’-]*")


DEFAULT_PERSONS: Literal["tagger", "finder"] = "tagger"


class PiiEngine:
    """Detects PII entities in batches of texts (English and French)."""

    def __init__(
        self,
        models: Mapping[Language, str] = DEFAULT_MODELS,
        cache_size: int = 2048,
        ner: Literal["tagger", "spacy"] = "tagger",
        persons: Literal["tagger", "finder"] = DEFAULT_PERSONS,
    ) -> None:
        if ner == "spacy" and persons == "tagger":
            raise ValueError("persons='tagger' needs ner='tagger'")
        self._models = dict(models)
        self._ner, self._persons_from = ner, persons
        self._analyzer: AnalyzerEngine | None = None
        self._names: NameFinder | None = None
        self._lock = threading.Lock()
        # Keyed by the text's digest, not the text: 2,048 retrieved documents must not stay in memory as keys.
        self._cache: Lru[tuple[bytes, str, float, frozenset[str]], tuple[Entity, ...]] = Lru(cache_size)

    @property
    def loaded(self) -> bool:
        return self._analyzer is not None

    def load(self) -> None:
        """Load the spaCy models and build the recognizers (idempotent, thread-safe)."""
        if self._analyzer is not None:
            return
        with self._lock:
            if self._analyzer is not None:
                return
            languages = list(self._models)
            gazetteer = load_gazetteer()
            self._names = NameFinder(gazetteer)
            nlp_engine = self._nlp_engine(gazetteer)
            nlp_engine.load()
            registry = RecognizerRegistry(
                recognizers=[r for lang in languages for r in build_recognizers(lang)],
                supported_languages=languages,
            )
            enhancer = LemmaContextAwareEnhancer(context_suffix_count=2, context_matching_mode="whole_word")
            self._analyzer = AnalyzerEngine(
                registry=registry,
                nlp_engine=nlp_engine,
                supported_languages=languages,
                context_aware_enhancer=enhancer,
            )

    def _nlp_engine(self, gazetteer: Gazetteer) -> SlimSpacyNlpEngine:
        if self._ner == "spacy":
            return SlimSpacyNlpEngine(self._models)
        from guardrails.pii.name_model import NameTagger
        from guardrails.pii.tagger_nlp import TaggerNlpEngine

        return TaggerNlpEngine(NameTagger(gazetteer), gazetteer, list(self._models))

    def analyze_batch(
        self,
        texts: Sequence[str],
        language: Language | None = None,
        entities: Iterable[str] | None = None,
        threshold: float = 0.5,
    ) -> list[list[Entity]]:
        """Entities of every text, in text order; `language=None` detects it per text."""
        self.load()
        wanted = frozenset(entities) if entities is not None else frozenset(ALL_ENTITIES)
        unknown = wanted - frozenset(ALL_ENTITIES)
        if unknown:
            raise ValueError(f"unknown entity types {sorted(unknown)!r}; known: {', '.join(ALL_ENTITIES)}")
        if language is not None and language not in self._models:
            raise ValueError(f"unsupported language {language!r}; loaded: {', '.join(self._models)}")
        by_language: dict[str, list[int]] = {}
        for index, text in enumerate(texts):
            lang = language or detect_language(text)
            by_language.setdefault(lang if lang in self._models else LANGUAGES[0], []).append(index)
        out: list[list[Entity]] = [[] for _ in texts]
        for lang, indexes in by_language.items():
            found = self._cached_analyze([texts[i] for i in indexes], lang, threshold, wanted)
            for index, entities_found in zip(indexes, found, strict=True):
                out[index] = list(entities_found)
        return out

    def _cached_analyze(
        self, texts: list[str], language: str, threshold: float, wanted: frozenset[str]
    ) -> list[tuple[Entity, ...]]:
        keys = [(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest(), language, threshold,
                 wanted) for text in texts]  # fmt: skip
        with self._lock:
            hits = [self._cache.get(key) for key in keys]
        todo = [i for i, hit in enumerate(hits) if hit is None]
        if todo:
            fresh = self._analyze_language([texts[i] for i in todo], language, threshold, wanted)
            with self._lock:
                for i, entities in zip(todo, fresh, strict=True):
                    hits[i] = tuple(entities)
                    self._cache.put(keys[i], hits[i])  # type: ignore[arg-type]
        return [hit or () for hit in hits]

    def _analyze_language(
        self, texts: list[str], language: str, threshold: float, wanted: frozenset[str]
    ) -> list[list[Entity]]:
        assert self._analyzer is not None
        nlp_engine = self._analyzer.nlp_engine
        results: list[list[Entity]] = []
        batch = nlp_engine.process_batch(texts, language, batch_size=max(1, len(texts)))
        # Only the recognizers of the wanted types run: URLs and dates (not masked by default) were 0.6 ms of
        # the 1.9 ms Presidio spent on a typical prompt.
        asked = sorted(wanted)
        for text, artifacts in batch:
            raw = self._analyzer.analyze(text, language, entities=asked, nlp_artifacts=artifacts, score_threshold=0.0)
            persons = [c for c in self._persons(text, artifacts.tokens) if c.entity.score >= threshold]
            persons = persons if "PERSON" in wanted else []
            # The name finder has weighed spaCy's place label already: an accepted name beats it.
            found = [_candidate(r) for r in raw if r.entity_type != "PERSON" and not _under(r, persons)] + persons
            # Threshold before resolution: a sub-threshold guess must not knock out a confident neighbour.
            candidates = [c for c in clean(text, found) if c.entity.score >= threshold]
            results.append(resolve_overlaps(candidates))
        return results

    def _persons(self, text: str, doc: Doc) -> list[Candidate]:
        """PERSON candidates: the tagger's, or the name finder's, which takes the NER's entities as evidence."""
        assert self._names is not None
        if self._ner == "spacy":
            persons = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in _PERSON_LABELS]
            others = [(e.start_char, e.end_char, _NOT_PERSON_LABELS[e.label_])
                      for e in doc.ents if e.label_ in _NOT_PERSON_LABELS]  # fmt: skip
        else:
            tagged: list[Tagged] | None = doc.user_data.get(TAGGED_KEY)
            if not tagged:
                return []  # the tagger found nothing, or did not run: no word could be a name
            if self._persons_from == "tagger":
                return [Candidate(Entity("PERSON", t.start, t.end, t.score), False, from_ner=True)
                        for t in tagged if t.label == "PER"]  # fmt: skip
            persons, others = _tagger_evidence(text, tagged)
        return [
            Candidate(Entity("PERSON", span.start, span.end, span.score), span.cued, from_ner=True)
            for span in self._names.find(text, persons, others)
        ]


def _tagger_evidence(text: str, tagged: list[Tagged]) -> tuple[list[tuple[int, int]], list[tuple[int, int, float]]]:
    """The tagger's entities as the name finder's evidence; a capitalised word it left outside every entity
    counts against a name as much as a place label does."""
    persons = [(t.start, t.end) for t in tagged if t.label == "PER"]
    others = [(t.start, t.end, _TAGGER_LABELS[t.label]) for t in tagged if t.label != "PER"]
    inside = [(t.start, t.end) for t in tagged]
    for match in _CAPITALISED.finditer(text):
        if not any(a <= match.start() < b for a, b in inside):
            others.append((match.start(), match.end(), _TAGGER_O))
    return persons, others


def _under(result: RecognizerResult, persons: list[Candidate]) -> bool:
    return result.entity_type == "LOCATION" and any(
        result.start < p.entity.end and p.entity.start < result.end for p in persons
    )


def _candidate(result: RecognizerResult) -> Candidate:
    metadata = result.recognition_metadata or {}
    entity = Entity(result.entity_type, result.start, result.end, round(result.score, 4))
    from_ner = str(metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY, "")).startswith("SpacyRecognizer")
    return Candidate(entity, bool(metadata.get(_BOOSTED)), from_ner)


_shared: PiiEngine | None = None
_shared_lock = threading.Lock()


def shared_engine() -> PiiEngine:
    """The process-wide engine (not loaded yet: call `load()` off the event loop)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PiiEngine()
        return _shared
