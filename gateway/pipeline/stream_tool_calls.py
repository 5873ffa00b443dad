"""Tool-call arguments in a streamed answer: checked whole, and restored without ever half a placeholder.

Arguments are JSON, so a guardrail can judge them only once the call is complete. When the policy has an
output guardrail that reads tool calls (PII, content safety, system-prompt leak), each call's argument pieces
are held and go out in one piece, checked, when the choice finishes; the call's id and name still go out at
once. Otherwise the pieces flow as they come, with masked placeholders restored on the way (a placeholder
split across pieces waits until it is whole).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from gateway.pipeline.tool_arguments import json_escape
from guardrails.pii.stream import StreamRestorer
from guardrails.pii.vault import PlaceholderVault

CheckCall = Callable[[int, str, str | None], Awaitable[str]]
"""(call index, arguments, tool name) -> the arguments to send (masked if the policy masks); raises to block."""


class ToolCallStream:
    """The tool calls of one choice of a streamed answer."""

    def __init__(self, vault: PlaceholderVault | None, check: CheckCall | None) -> None:
        self._vault = vault
        self._check = check
        self._held: dict[int, list[str]] = {}
        self._names: dict[int, str | None] = {}
        self._restorers: dict[int, StreamRestorer] = {}

    async def feed(self, delta: dict[str, Any], *, final: bool) -> dict[str, Any]:
        """The delta to send now; on the choice's last chunk it also carries what was held."""
        calls = [self._pass(call) for call in delta.get("tool_calls") or ()]
        if final:
            calls.extend(await self._finish())
        if calls:
            return {**delta, "tool_calls": calls}
        return {k: v for k, v in delta.items() if k != "tool_calls"}

    def _pass(self, call: dict[str, Any]) -> dict[str, Any]:
        number = int(call.get("index") or 0)
        function = dict(call.get("function") or {})
        if function.get("name"):
            self._names[number] = str(function["name"])
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            return call
        if self._check is not None:
            self._held.setdefault(number, []).append(arguments)
            function["arguments"] = ""
        elif self._vault is not None:
            restorer = self._restorers.setdefault(number, StreamRestorer(self._vault, json_escape))
            function["arguments"] = restorer.feed(arguments)
        return {**call, "function": function}

    async def _finish(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self._check is not None:
            for number, pieces in sorted(self._held.items()):
                text = await self._check(number, "".join(pieces), self._names.get(number))
                if self._vault is not None:
                    text = self._vault.restore(text, json_escape)
                out.append({"index": number, "function": {"arguments": text}})
            self._held.clear()
        for number, restorer in self._restorers.items():
            rest = restorer.flush()
            if rest:
                out.append({"index": number, "function": {"arguments": rest}})
        return out
