"""Our own (non-pattern) recognizers: their common base, and results with the metadata Presidio's steps expect."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, LocalRecognizer, RecognizerResult


class CodeRecognizer(LocalRecognizer):
    """A recognizer that finds candidates by regex and confirms them in code (checksums, shapes); subclasses set
    the entity, the name and the context words, and implement `analyze`."""

    entity: ClassVar[str]
    label: ClassVar[str]
    """Prefix of the recognizer's name, which Presidio reports per result."""

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.entity],
            supported_language=supported_language,
            context=self.context_for(supported_language),
            name=f"{self.label}_{supported_language}",
        )

    def context_for(self, language: str) -> list[str]:
        """Words near a match that raise its score."""
        return []

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import."""


def make_result(recognizer: EntityRecognizer, entity_type: str, start: int, end: int, score: float) -> RecognizerResult:
    """A result the context enhancer can update (it needs an explanation and the recognizer's identity)."""
    return RecognizerResult(
        entity_type,
        start,
        end,
        score,
        analysis_explanation=AnalysisExplanation(recognizer=recognizer.name, original_score=score),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )
