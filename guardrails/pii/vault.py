"""`PlaceholderVault`: the per-request mapping between PII values and placeholders such as `<PERSON_1>`.

The same value (after light normalisation: case, spaces, separators in numbers) gets the same placeholder in
every message of a request, so the model sees a consistent conversation. The vault lives in
`CheckContext.state["pii_vault"]`, is never logged and never leaves the process.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from guardrails.pii.postprocess import PLACEHOLDER

VAULT_KEY = "pii_vault"

# For identifiers the separators are formatting, not identity: "06 12 34 56 78" is "0612345678".
_NUMERIC_TYPES = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "FR_NIR", "FR_SIREN", "FR_SIRET"})
_FORMATTING = re.compile(r"[\s.\-()]")


def _normalise(entity_type: str, value: str) -> str:
    if entity_type in _NUMERIC_TYPES:
        return _FORMATTING.sub("", value).upper()
    return " ".join(value.split()).casefold()


@dataclass
class PlaceholderVault:
    """Reversible masking table for one request. Not thread-safe: one request, one vault."""

    restore_output: bool = True
    """Whether the answer should be de-anonymised before it reaches the caller."""
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _values: dict[str, str] = field(default_factory=dict, repr=False)
    _restorable: set[str] = field(default_factory=set, repr=False)
    _counters: dict[str, int] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # never show values, even in a debugger or a traceback
        return f"PlaceholderVault(entries={len(self._values)})"

    def __len__(self) -> int:
        return len(self._values)

    def placeholder_for(self, entity_type: str, value: str, *, restorable: bool = True) -> str:
        """The placeholder of `value`, creating `<TYPE_n>` on first sight.

        Values first seen in the model's answer are not restorable: masking them must stick.
        """
        key = (entity_type, _normalise(entity_type, value))
        placeholder = self._by_value.get(key)
        if placeholder is None:
            number = self._counters.get(entity_type, 0) + 1
            self._counters[entity_type] = number
            placeholder = f"<{entity_type}_{number}>"
            self._by_value[key] = placeholder
            self._values[placeholder] = value
        if restorable:
            self._restorable.add(placeholder)
        return placeholder

    def value_of(self, placeholder: str) -> str | None:
        return self._values.get(placeholder) if placeholder in self._restorable else None

    def restored_spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, type) of each restorable value found in `text` (an answer after `restore`), longest
        values first, never overlapping: what masking the text again must cover."""
        spans: list[tuple[int, int, str]] = []
        for placeholder in sorted(self._restorable, key=lambda p: -len(self._values[p])):
            value, kind = self._values[placeholder], placeholder[1:].rsplit("_", 1)[0]
            start = text.find(value)
            while value and start >= 0:
                end = start + len(value)
                if not any(s < end and start < e for s, e, _ in spans):
                    spans.append((start, end, kind))
                start = text.find(value, end)
        return sorted(spans)

    def restore(self, text: str, escape: Callable[[str], str] | None = None) -> str:
        """Put the original values back in place of every restorable placeholder; others are left as is.

        `escape` encodes each value for where it goes (a JSON string inside tool-call arguments, say)."""
        if not self._restorable or "<" not in text:
            return text

        def value(match: re.Match[str]) -> str:
            found = match.group()
            if found not in self._restorable:
                return found
            return escape(self._values[found]) if escape is not None else self._values[found]

        return PLACEHOLDER.sub(value, text)
