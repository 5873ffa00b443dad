"""What one call cost: the token counts an upstream reports, by kind, and the per-token prices of each kind.

Providers bill some tokens apart from plain text: prompt tokens read from (or written to) their prompt cache,
reasoning tokens, audio and image tokens in and out. Each kind is a part of the prompt or the completion total;
a kind without a price of its own is billed as any token of its side.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class TokenDetails:
    """The parts of a call's prompt and completion tokens that are priced apart (0 when not reported)."""

    cached: int = 0
    """Prompt tokens the provider read from its prompt cache."""
    cache_write: int = 0
    """Prompt tokens the provider wrote to its prompt cache (Anthropic's cache creation)."""
    audio_input: int = 0
    image_input: int = 0
    reasoning: int = 0
    """Completion tokens the model spent reasoning."""
    audio_output: int = 0
    image_output: int = 0

    def capped(self, prompt_tokens: int, completion_tokens: int) -> TokenDetails:
        """The parts as the totals allow: an upstream reporting more than its totals is not believed past them
        (parts are taken in field order, so cache reads are counted before cache writes, audio and images)."""
        if self is NO_DETAILS:  # most answers report no parts: nothing to cap
            return self
        left = {"prompt": max(prompt_tokens, 0), "completion": max(completion_tokens, 0)}
        values: dict[str, int] = {}
        for name, side in _SIDES.items():
            value = min(max(getattr(self, name), 0), left[side])
            left[side] -= value
            values[name] = value
        return TokenDetails(**values)


_SIDES = {"cached": "prompt", "cache_write": "prompt", "audio_input": "prompt", "image_input": "prompt",
          "reasoning": "completion", "audio_output": "completion", "image_output": "completion"}
"""Which total each part belongs to, in the order parts are taken from it."""
DETAIL_NAMES = tuple(f.name for f in fields(TokenDetails))
NO_DETAILS = TokenDetails()
"""No part reported: shared (the class is frozen), so the common case builds no object and caps nothing."""


@dataclass(frozen=True, slots=True)
class Prices:
    """Per-token prices of one deployment; a part's price of None bills that part as any token of its side."""

    input_per_token: float = 0.0
    output_per_token: float = 0.0
    max_output_tokens: int | None = None
    known: bool = False
    """False when no price was found: cost is then recorded as 0 and flagged."""
    cache_read_per_token: float | None = None
    cache_write_per_token: float | None = None
    audio_input_per_token: float | None = None
    image_input_per_token: float | None = None
    reasoning_per_token: float | None = None
    audio_output_per_token: float | None = None
    image_output_per_token: float | None = None
    input_per_character: float | None = None
    """Text to speech priced by the character of its input (OpenAI's `tts-1`)."""
    input_per_second: float | None = None
    """Transcription priced by the second of audio (OpenAI's `whisper-1`)."""

    def cost(self, prompt_tokens: int, completion_tokens: int, details: TokenDetails | None = None) -> float:
        parts = (details or NO_DETAILS).capped(prompt_tokens, completion_tokens)
        if parts is NO_DETAILS:
            return max(prompt_tokens, 0) * self.input_per_token + max(completion_tokens, 0) * self.output_per_token
        total = 0.0
        plain = {"prompt": max(prompt_tokens, 0), "completion": max(completion_tokens, 0)}
        for name, side in _SIDES.items():
            count = getattr(parts, name)
            if not count:
                continue
            plain[side] -= count
            price = getattr(self, _PRICE_OF[name])
            total += count * (self._side_price(side) if price is None else price)
        return total + plain["prompt"] * self.input_per_token + plain["completion"] * self.output_per_token

    def _side_price(self, side: str) -> float:
        return self.input_per_token if side == "prompt" else self.output_per_token


_PRICE_OF = {"cached": "cache_read_per_token", "cache_write": "cache_write_per_token",
             "audio_input": "audio_input_per_token", "image_input": "image_input_per_token",
             "reasoning": "reasoning_per_token", "audio_output": "audio_output_per_token",
             "image_output": "image_output_per_token"}
"""The price field of each token part."""


def image_usage(usage: object) -> tuple[int, int, TokenDetails]:
    """(input, output, parts) of an image generation's `usage` (`input_tokens`, `output_tokens`, their details):
    images in are the input's `image_tokens`, images out every output token unless the details split them."""
    if not isinstance(usage, dict):
        return 0, 0, TokenDetails()
    prompt, completion = _count(usage, "input_tokens"), _count(usage, "output_tokens")
    output = _mapping(usage.get("output_tokens_details"))
    images_out = _count(output, "image_tokens") if "image_tokens" in output else completion
    details = TokenDetails(image_input=_count(_mapping(usage.get("input_tokens_details")), "image_tokens"),
                           image_output=images_out)
    return prompt, completion, details.capped(prompt, completion)


def transcription_usage(usage: object) -> tuple[int, int, TokenDetails, float | None]:
    """(input, output, parts, seconds) of a transcription's `usage`: tokens (`input_token_details.audio_tokens`),
    or the audio's `seconds` for models billed by duration (None when not reported)."""
    if not isinstance(usage, dict):
        return 0, 0, TokenDetails(), None
    if usage.get("type") == "duration":
        seconds = usage.get("seconds")
        return 0, 0, TokenDetails(), float(seconds) if isinstance(seconds, (int, float)) and seconds >= 0 else None
    prompt, completion = _count(usage, "input_tokens"), _count(usage, "output_tokens")
    audio = _count(_mapping(usage.get("input_token_details")), "audio_tokens")
    return prompt, completion, TokenDetails(audio_input=audio).capped(prompt, completion), None


def token_details(usage: object) -> TokenDetails:
    """The priced-apart parts of an OpenAI `usage` object, as OpenAI and litellm write them (litellm keeps
    Anthropic's `cache_creation_input_tokens` beside OpenAI's fields); 0 where absent or malformed."""
    if not isinstance(usage, dict):
        return NO_DETAILS
    prompt, completion = _mapping(usage.get("prompt_tokens_details")), _mapping(usage.get("completion_tokens_details"))
    cache_write = (_count(prompt, "cache_write_tokens") or _count(prompt, "cache_creation_tokens")
                   or _count(usage, "cache_creation_input_tokens"))
    parts = (_count(prompt, "cached_tokens") or _count(usage, "cache_read_input_tokens"), cache_write,
             _count(prompt, "audio_tokens"), _count(prompt, "image_tokens"), _count(completion, "reasoning_tokens"),
             _count(completion, "audio_tokens"), _count(completion, "image_tokens"))
    return TokenDetails(*parts) if any(parts) else NO_DETAILS


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _count(details: dict[str, Any], name: str) -> int:
    value = details.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
