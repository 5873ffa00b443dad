"""Output checks on a stream, as it flows: each choice's text is held back until it has been checked.

Text is released at sentence boundaries (or once `max_hold_chars` are waiting, at the last space), after the
policy's output guardrails have passed it, so no PII and no blocked sentence ever reaches the client. A
guardrail that needs the whole answer (a JSON schema) holds the whole answer. Placeholders from input masking
are restored on the way out without ever emitting half of one. Tool-call arguments are handled by
`stream_tool_calls` (checked whole when a guardrail reads them, restored as they flow otherwise). With no
output guardrails and nothing to restore, chunks pass through untouched.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.errors import GuardrailViolation
from gateway.pipeline.stream_tool_calls import ToolCallStream
from gateway.pipeline.tool_arguments import split
from guardrails.base import CheckContext, Segment, Verdict
from guardrails.chain import Chain
from guardrails.pii.stream import StreamRestorer
from guardrails.pii.vault import VAULT_KEY, PlaceholderVault

_BOUNDARY = re.compile(r"[.!?;:\n](?=\s)|\n")
_SEVERITY = {"allow": 0, "error": 1, "flag": 2, "annotate": 3, "mask": 4, "block": 5}


@dataclass(slots=True)
class _Choice:
    held: str = ""
    released: list[str] = field(default_factory=list)
    restorer: StreamRestorer | None = None
    calls: ToolCallStream | None = None


class StreamGuard:
    def __init__(self, chain: Chain | None, checks: CheckContext, max_hold_chars: int = 400) -> None:
        self._chain = chain if chain else None
        self._checks = checks
        self._max_hold = max_hold_chars
        vault = checks.state.get(VAULT_KEY)
        self._vault = vault if isinstance(vault, PlaceholderVault) and vault.restore_output and len(vault) else None
        self._whole = bool(self._chain and any(g.needs_full_text for g in self._chain.guardrails))
        self._checks_calls = bool(self._chain and any(g.checks_tool_calls for g in self._chain.guardrails))
        self._choices: dict[int, _Choice] = {}
        self.verdicts: dict[str, Verdict] = {}

    @property
    def active(self) -> bool:
        return self._chain is not None or self._vault is not None

    async def run(self, chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        if not self.active:
            async for chunk in chunks:
                yield chunk
            return
        async for chunk in chunks:
            for out in await self._feed(chunk):
                yield out

    async def _feed(self, chunk: dict[str, Any]) -> list[dict[str, Any]]:
        choices = chunk.get("choices") or []
        if not choices:
            return [chunk]
        out: list[dict[str, Any]] = []
        kept = []
        for choice in choices:
            index = int(choice.get("index") or 0)
            state = self._choices.setdefault(index, _Choice())
            delta = dict(choice.get("delta") or {})
            content = delta.pop("content", None)
            if isinstance(content, str) and content:
                state.held += content
            finishing = choice.get("finish_reason") is not None
            if delta.get("tool_calls") or (finishing and state.calls is not None):
                delta = await self._tool_calls(index, state).feed(delta, final=finishing)
            text = await self._release(index, state, final=finishing)
            if text:
                out.append(_content_chunk(chunk, index, text))
            if delta or finishing:
                kept.append({**choice, "delta": delta})
        if kept:
            out.append({**chunk, "choices": kept})
        return out

    async def _release(self, index: int, state: _Choice, *, final: bool) -> str:
        cut = len(state.held) if final else self._cut(state.held)
        if cut <= 0:
            return ""
        piece, state.held = state.held[:cut], state.held[cut:]
        if self._chain is not None:
            piece = await self._check(index, piece)
        if self._vault is not None:
            state.restorer = state.restorer or StreamRestorer(self._vault)
            piece = state.restorer.feed(piece) + (state.restorer.flush() if final else "")
        state.released.append(piece)
        return piece

    def _tool_calls(self, index: int, state: _Choice) -> ToolCallStream:
        if state.calls is None:
            async def check(number: int, arguments: str, name: str | None) -> str:
                call = split(arguments, index, number, name)
                return call.rebuild(await self._check_all(list(call.segments))) if call.segments else arguments

            state.calls = ToolCallStream(self._vault, check if self._checks_calls else None)
        return state.calls

    def _cut(self, held: str) -> int:
        if self._whole or not held:
            return 0
        boundary = 0
        for match in _BOUNDARY.finditer(held):
            boundary = match.end()
        if boundary == 0 and len(held) > self._max_hold:
            boundary = held.rfind(" ", 0, len(held)) + 1 or len(held)
        return boundary

    async def _check(self, index: int, piece: str) -> str:
        return (await self._check_all([Segment(piece, "output", index)]))[0]

    async def _check_all(self, segments: list[Segment]) -> list[str]:
        """The texts of `segments` once checked (masked where the policy masks); raises when one is blocked."""
        assert self._chain is not None
        result = await self._chain.run(segments, self._checks)
        for verdict in result.verdicts:
            self._merge(verdict)
        blocked = result.blocked
        if blocked is not None:
            raise GuardrailViolation(f"the answer was blocked by the {blocked.guardrail!r} guardrail",
                                     param=blocked.guardrail)
        return [segment.text for segment in (result.segments if result.masked else segments)]

    def _merge(self, verdict: Verdict) -> None:
        seen = self.verdicts.get(verdict.guardrail)
        if seen is None:
            self.verdicts[verdict.guardrail] = verdict
            return
        worst = verdict if _SEVERITY[verdict.action] >= _SEVERITY[seen.action] else seen
        self.verdicts[verdict.guardrail] = replace(
            worst, findings=seen.findings + verdict.findings, latency_ms=seen.latency_ms + verdict.latency_ms,
            rewritten=None,
        )


def _content_chunk(chunk: dict[str, Any], index: int, text: str) -> dict[str, Any]:
    return {**chunk, "choices": [{"index": index, "delta": {"content": text}, "finish_reason": None}]}
