"""Behaviour directives for the fake upstream: what a request asks the fake to do besides answering.

Directives ride in the last user message or the model name as ``[[fake:key=value]]`` (or ``[[fake:key]]`` for flags)
because a gateway forwards neither arbitrary headers nor unknown body fields.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

DIRECTIVE_RE = re.compile(r"\[\[fake:([a-z_]+)(?:=([^\]]*))?\]\]")

_INT_FIELDS = frozenset(
    {"slow", "status", "cut_stream_after", "fail_first", "chunk_size", "retry_after", "chunk_delay",
     "cached_tokens", "reasoning_tokens", "cache_write_tokens", "audio_input_tokens", "image_input_tokens",
     "audio_output_tokens", "image_output_tokens", "context_limit"}
)
_FLAG_FIELDS = frozenset({"malformed_json", "no_usage"})
_TEXT_FIELDS = frozenset({"reply", "wrap"})


@dataclass(frozen=True)
class Behaviour:
    """What the fake does for one request; ``None`` means "not set" so layers can be merged.

    slow: milliseconds to wait before answering. status: answer with this HTTP error. retry_after: seconds for the
    ``retry-after`` header (implies 429 when no status). cut_stream_after: drop the connection after N SSE events.
    malformed_json: send a broken body/event. fail_first: the first N calls with the same message get a 500.
    reply: answer exactly this text. wrap: answer this text with `{}` replaced by the echo (an answer that differs from
    the question but repeats what it said, as a support answer does). chunk_size: characters per streamed content delta (default: one word per delta).
    chunk_delay: milliseconds between streamed events. cached_tokens, reasoning_tokens, audio_*_tokens,
    image_*_tokens: reported in the usage's `prompt_tokens_details` / `completion_tokens_details`;
    cache_write_tokens: as litellm reports Anthropic's cache creation (`cache_creation_input_tokens`).
    context_limit: a prompt of more tokens is a 400 `context_length_exceeded`, as OpenAI answers it.
    no_usage: an image generation answers without `usage`, as DALL-E does.
    """

    slow: int | None = None
    status: int | None = None
    retry_after: int | None = None
    cut_stream_after: int | None = None
    malformed_json: bool | None = None
    fail_first: int | None = None
    reply: str | None = None
    wrap: str | None = None
    chunk_size: int | None = None
    chunk_delay: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    cache_write_tokens: int | None = None
    audio_input_tokens: int | None = None
    image_input_tokens: int | None = None
    audio_output_tokens: int | None = None
    image_output_tokens: int | None = None
    context_limit: int | None = None
    no_usage: bool | None = None

    def merged_over(self, base: Behaviour) -> Behaviour:
        """Fields set here win; unset fields fall back to ``base``."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fallback = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
        return Behaviour(**{k: (v if v is not None else fallback[k]) for k, v in values.items()})

    @property
    def error_status(self) -> int | None:
        if self.status is not None:
            return self.status
        return 429 if self.retry_after is not None else None


def behaviour_from_kwargs(**kwargs: Any) -> Behaviour:
    """Build a Behaviour from keyword arguments, rejecting unknown names with the offending key."""
    known = {f.name for f in dataclasses.fields(Behaviour)}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise ValueError(f"unknown fake behaviour(s) {unknown!r}; known: {sorted(known)!r}")
    return Behaviour(**kwargs)


def parse_directives(text: str) -> Behaviour:
    """Collect every ``[[fake:...]]`` directive in ``text``; the last occurrence of a key wins."""
    values: dict[str, Any] = {}
    for match in DIRECTIVE_RE.finditer(text):
        key, raw = match.group(1), match.group(2)
        values[key] = _coerce(key, raw)
    return Behaviour(**values)


def strip_directives(text: str) -> str:
    return " ".join(DIRECTIVE_RE.sub(" ", text).split())


def parse_cli_behaviour(spec: str) -> Behaviour:
    """``"status=500,slow=100"`` (as given to ``--behaviour``) -> Behaviour."""
    text = "".join(f"[[fake:{part.strip()}]]" for part in spec.split(",") if part.strip())
    return parse_directives(text)


def _coerce(key: str, raw: str | None) -> Any:
    if key in _FLAG_FIELDS:
        return raw is None or raw.lower() not in {"0", "false", "no"}
    if key in _TEXT_FIELDS:
        return raw or ""
    if key in _INT_FIELDS:
        try:
            return int(raw or "")
        except ValueError:
            raise ValueError(f"fake directive {key!r} needs an integer, got {raw!r}") from None
    raise ValueError(f"unknown fake directive {key!r}")
