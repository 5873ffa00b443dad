"""A guardrail with no model to load, for end-to-end tests: it triggers on the word FORBIDDEN."""

from __future__ import annotations

from collections.abc import Sequence

from guardrails import registry
from guardrails.base import CheckContext, Finding, Guardrail, Segment, Verdict

WORD = "FORBIDDEN"


class BannedWord(Guardrail):
    name = "test_banned_word"
    stages = ("input", "output")

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        hits = [Finding("word", 1.0, i) for i, s in enumerate(segments) if WORD in s.text]
        return self.verdict(bool(hits), 1.0 if hits else 0.0, hits, message="banned word")


registry.register(BannedWord)
