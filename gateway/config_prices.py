"""A deployment's own per-token prices, in litellm's names (`litellm_params` or `model_info`): they win over the
price map's. Kept apart from gateway/config.py so the config's main module stays one screenful of sections."""

from __future__ import annotations

from pydantic import Field

from gateway.config_policies import Strict
from gateway.providers.pricing import PRICE_KEYS


class PriceParams(Strict):
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)
    cache_read_input_token_cost: float | None = Field(default=None, ge=0)
    """Prompt tokens read from the provider's prompt cache."""
    cache_creation_input_token_cost: float | None = Field(default=None, ge=0)
    """Prompt tokens written to the provider's prompt cache (Anthropic's cache creation)."""
    input_cost_per_audio_token: float | None = Field(default=None, ge=0)
    input_cost_per_image_token: float | None = Field(default=None, ge=0)
    output_cost_per_reasoning_token: float | None = Field(default=None, ge=0)
    output_cost_per_audio_token: float | None = Field(default=None, ge=0)
    output_cost_per_image_token: float | None = Field(default=None, ge=0)
    input_cost_per_character: float | None = Field(default=None, ge=0)
    """Text to speech: the price of each character of the input."""
    input_cost_per_second: float | None = Field(default=None, ge=0)
    """Transcription: the price of each second of audio."""

    def price_overrides(self) -> dict[str, float]:
        return {key: value for key in PRICE_KEYS if (value := getattr(self, key)) is not None}
