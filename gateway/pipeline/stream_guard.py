"""Output checks on a stream, as it flows: each choice's text is held back until it has been checked.

Text is released at sentence boundaries (or once `max_hold_chars` are waiting, at the last space), after the
policy's output guardrails have passed it, so no PII and no blocked sentence ever reaches the client. A
guardrail that needs the whole answer (a JSON schema) holds the whole answer. Placeholders from input masking
are restored on the way out without ever emitting half of one, in the text and in tool-call arguments alike
(as for an answer that is not streamed). With no output guardrails and nothing to restore, chunks pass through
untouched.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.errors import GuardrailViolation
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
    calls: dict[int, StreamRestorer] = field(default_factory=dict)
    """One restorer per tool call of the choice, by the call's index."""


class StreamGuard:
    def __init__(self, chain: Chain | None, checks: CheckContext, max_hold_chars: int = 400) -> None:
        self._chain = chain if chain else None
        self._checks = checks
        self._max_hold = max_hold_chars
        vault = checks.state.get(VAULT_KEY)
        self._vault = vault if isinstance(vault, PlaceholderVault) and vault.restore_output and len(vault) else None
        self._whole = bool(self._chain and any(g.needs_full_text for g in self._chain.guardrails))
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
            if self._vault is not None and (delta.get("tool_calls") or (finishing and state.calls)):
                delta = self._restore_calls(state, delta, final=finishing)
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

    def _restore_calls(self, state: _Choice, delta: dict[str, Any], *, final: bool) -> dict[str, Any]:
        """Restore placeholders in streamed tool-call arguments; what is held back goes out with the finish."""
        assert self._vault is not None
        calls = []
        for call in delta.get("tool_calls") or ():
            function = dict(call.get("function") or {})
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                restorer = state.calls.setdefault(int(call.get("index") or 0), StreamRestorer(self._vault))
                function["arguments"] = restorer.feed(arguments)
                call = {**call, "function": function}
            calls.append(call)
        if final:
            for number, restorer in state.calls.items():
                rest = restorer.flush()
                if rest:
                    calls.append({"index": number, "function": {"arguments": rest}})
        return {**delta, "tool_calls": calls} if calls else {k: v for k, v in delta.items() if k != "tool_calls"}

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
        assert self._chain is not None
        result = await self._chain.run([Segment(piece, "output", index)], self._checks)
        for verdict in result.verdicts:
            self._merge(verdict)
        blocked = result.blocked
        if blocked is not None:
            raise GuardrailViolation(f"the answer was blocked by the {blocked.guardrail!r} guardrail",
                                     param=blocked.guardrail)
        return result.segments[0].text if result.masked else piece

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
