"""`TaggerNlpEngine`: Presidio's NLP engine with spaCy's tokenizer only and the trained name tagger as its NER.

Presidio stays the engine: its recognizers read tokens, keywords and entities from the `NlpArtifacts` this
builds. The tokens come from a blank spaCy pipeline (rules only, no model: a tenth of a millisecond per message);
the entities from `NameTagger`, which runs on every text of a batch in one ONNX call, and only on the texts
that could hold a name at all (`name_features.may_hold_names`): a prompt without a capitalised word inside a
sentence costs no model time. The small spaCy NER models are no longer loaded (they took capitalised nouns for
names, and German, Spanish and Italian had none).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.tokens import Doc, Span

from guardrails.pii.entities import Language
from guardrails.pii.gazetteer import Gazetteer
from guardrails.pii.name_features import may_hold_names
from guardrails.pii.name_model import NameTagger, Tagged
from guardrails.pii.nlp import SlimSpacyNlpEngine

_PRESIDIO_LABELS = {"PER": "PERSON", "LOC": "LOCATION"}  # ORG only helps the tagger tell names apart
TAGGED_KEY = "warden_tagged"
"""`doc.user_data` key of the tagger's entities with their scores."""


class TaggerNlpEngine(SlimSpacyNlpEngine):
    """Blank spaCy tokenizers per language plus the name tagger for entities."""

    def __init__(self, tagger: NameTagger, gazetteer: Gazetteer, languages: Sequence[Language]) -> None:
        super().__init__({lang: f"blank:{lang}" for lang in languages})
        self._tagger = tagger
        self._gaz = gazetteer
        self.tagged_texts = 0  # texts the tagger ran on (the others had no candidate word)

    def load(self) -> None:
        self.nlp = {model["lang_code"]: spacy.blank(model["lang_code"]) for model in self.models}

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return next(iter(self.process_batch([text], language)))[1]  # type: ignore[index]

    def process_batch(  # type: ignore[override]
        self, texts: Sequence[str], language: str, batch_size: int = 1, n_process: int = 1, as_tuples: bool = False
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        texts = [str(text) for text in texts]
        docs = [self.nlp[language].make_doc(text) for text in texts]
        todo = [i for i, text in enumerate(texts) if may_hold_names(text, self._gaz)]
        self.tagged_texts += len(todo)
        found: Mapping[int, list[Tagged]] = dict(zip(todo, self._tagger.tag([texts[i] for i in todo]), strict=True))
        for index, doc in enumerate(docs):
            tagged = found.get(index)
            doc.user_data[TAGGED_KEY] = tagged  # None: the tagger did not run, no word could be a name
            yield texts[index], self._artifacts(doc, tagged or [], language)

    def _artifacts(self, doc: Doc, tagged: list[Tagged], language: str) -> NlpArtifacts:
        """Presidio's artifacts in one pass over the tokens (its own builder walks them four times: a third of
        the engine's time on a message without names). Lemmas are the lower-cased words, as without a
        lemmatizer; keywords every word token (see `nlp.py`)."""
        lowers: list[str] = []
        indices: list[int] = []
        keywords: list[str] = []
        for token in doc:
            lowers.append(token.lower_)
            indices.append(token.idx)
            if not (token.is_punct or token.is_space):
                keywords.append(token.lower_)
        spans, scores = _spans(doc, tagged)
        artifacts = NlpArtifacts(spans, doc, indices, lowers, nlp_engine=None, language=language, scores=scores)
        artifacts.keywords, artifacts.nlp_engine = keywords, self  # type: ignore[assignment]
        return artifacts


def _spans(doc: Doc, tagged: list[Tagged]) -> tuple[list[Span], list[float]]:
    spans: list[Span] = []
    scores: list[float] = []
    for entity in tagged:
        label = _PRESIDIO_LABELS.get(entity.label)
        span = doc.char_span(entity.start, entity.end, label=label, alignment_mode="expand") if label else None
        if span is not None and not any(span.start < s.end and s.start < span.end for s in spans):
            spans.append(span)
            scores.append(entity.score)
    return spans, scores
