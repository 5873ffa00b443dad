"""`PiiGuardrail`: detect PII in requests and answers; mask it reversibly, block or flag.

Input stage, mode `mask`: every entity is replaced by a placeholder kept in the request's vault, the same
value getting the same placeholder in every message. Output stage: PII the answer introduces is masked for
good; placeholders from the request are restored when `restore_output` is on (the gateway restores
answers that need no masking, and streams, with `vault.restore` / `StreamRestorer`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from guardrails.base import CheckContext, Finding, Guardrail, GuardrailOptions, Mode, Segment, Verdict
from guardrails.pii.entities import DEFAULT_ENTITIES, Entity, EntityType
from guardrails.pii.vault import VAULT_KEY, PlaceholderVault

if TYPE_CHECKING:
    from guardrails.pii.engine import PiiEngine


class PiiOptions(GuardrailOptions):
    """Per-policy settings of the PII guardrail."""

    mode: Mode = "mask"
    entities: tuple[EntityType, ...] = DEFAULT_ENTITIES
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    language: Literal["auto", "en", "fr"] = "auto"
    restore_output: bool = True


def vault_of(context: CheckContext) -> PlaceholderVault:
    """The request's vault, created on first use."""
    vault = context.state.get(VAULT_KEY)
    if not isinstance(vault, PlaceholderVault):
        vault = PlaceholderVault()
        context.state[VAULT_KEY] = vault
    return vault


class PiiGuardrail(Guardrail):
    """Presidio + spaCy PII detection (English, French) with reversible per-request masking."""

    name: ClassVar[str] = "pii"
    Options: ClassVar[type[GuardrailOptions]] = PiiOptions
    default_on_error: ClassVar[Literal["block", "allow"]] = "block"
    checks_tool_calls: ClassVar[bool] = True

    def __init__(self, options: GuardrailOptions) -> None:
        super().__init__(options)
        self.options: PiiOptions = options  # type: ignore[assignment]
        self._engine: PiiEngine | None = None

    async def setup(self) -> None:
        from guardrails.pii.engine import shared_engine

        engine = shared_engine()
        await asyncio.to_thread(engine.load)
        self._engine = engine

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        started = time.perf_counter()
        if self._engine is None:
            await self.setup()
        wanted = [i for i, segment in enumerate(segments) if self.applies_to(segment) and segment.text.strip()]
        # An answer the gateway returned comes back with the spans of the personal data it restored into it:
        # masked again from those, without analysing the text (see `Segment.entities`).
        known = {i: _known(segments[i], self.options.entities) for i in wanted if segments[i].returned}
        indexes = [i for i in wanted if i not in known]
        found = await asyncio.to_thread(self._analyze, [segments[i].text for i in indexes], context) if indexes else []
        per_segment: dict[int, list[Entity]] = dict(sorted({**dict(zip(indexes, found, strict=True)), **known}.items()))
        findings = [
            Finding(kind=e.entity_type, score=e.score, segment=i, start=e.start, end=e.end)
            for i, entities in per_segment.items()
            for e in entities
        ]
        triggered = bool(findings)
        score = max((f.score for f in findings), default=0.0)
        rewritten = self._rewrite(segments, per_segment, context) if self.options.mode == "mask" else None
        message = _message(findings) if triggered else None
        return self.verdict(triggered, score, findings, started=started, rewritten=rewritten, message=message)

    def _analyze(self, texts: list[str], context: CheckContext) -> list[list[Entity]]:
        assert self._engine is not None
        language = None if self.options.language == "auto" else self.options.language
        if language is None and context.language in ("en", "fr"):
            language = context.language  # type: ignore[assignment]
        return self._engine.analyze_batch(texts, language, self.options.entities, self.options.threshold)

    def _rewrite(
        self, segments: Sequence[Segment], per_segment: dict[int, list[Entity]], context: CheckContext
    ) -> list[str]:
        from guardrails.pii.masking import mask_text

        vault = vault_of(context)
        vault.restore_output = self.options.restore_output
        output = context.stage == "output"
        texts: list[str] = []
        for index, segment in enumerate(segments):
            text = mask_text(segment.text, per_segment.get(index, []), vault, restorable=not output)
            if output and self.options.restore_output:
                text = vault.restore(text)
            texts.append(text)
        return texts


def _known(segment: Segment, types: Sequence[str]) -> list[Entity]:
    return [Entity(kind, start, end, 1.0) for start, end, kind in segment.entities if kind in types]


def _message(findings: Sequence[Finding]) -> str:
    kinds = sorted({finding.kind for finding in findings})
    return f"personal data detected: {', '.join(kinds)}"
