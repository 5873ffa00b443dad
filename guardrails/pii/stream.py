"""`StreamRestorer`: de-anonymise a streamed answer without ever emitting half a placeholder.

Text from a `<` that could still grow into a placeholder is held back until the next delta decides it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from guardrails.pii.vault import PlaceholderVault

# A prefix of `<TYPE_n>`: "<", "<PER", "<PERSON_", "<PERSON_1" (the closing ">" completes it).
_PARTIAL = re.compile(r"<(?:[A-Z][A-Z_]*\d*)?$")
_MAX_PLACEHOLDER = 64


class StreamRestorer:
    """Feeds answer deltas through `vault.restore`, holding back a possible placeholder prefix."""

    def __init__(self, vault: PlaceholderVault, escape: Callable[[str], str] | None = None) -> None:
        self._vault = vault
        self._escape = escape
        self._pending = ""

    def feed(self, delta: str) -> str:
        """Restored text that is safe to emit now (may be empty)."""
        text = self._pending + delta
        cut = _hold_back_from(text)
        self._pending = text[cut:]
        return self._vault.restore(text[:cut], self._escape)

    def flush(self) -> str:
        """Everything still held back, restored (call once at the end of the stream)."""
        text, self._pending = self._pending, ""
        return self._vault.restore(text, self._escape)


def _hold_back_from(text: str) -> int:
    """Index from which the tail of `text` may be the start of a placeholder, else len(text)."""
    start = text.rfind("<", max(0, len(text) - _MAX_PLACEHOLDER))
    if start == -1 or not _PARTIAL.match(text, start):
        return len(text)
    return start
