"""Native usage blocks read as OpenAI's, and the cost of cache writes (known answers)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.providers.base import usage_of
from gateway.providers.cost import Prices, TokenDetails, token_details
from gateway.providers.native_http import openai_usage

PRICES = Prices(input_per_token=3e-6, output_per_token=1.5e-5, known=True, cache_read_per_token=3e-7,
                cache_write_per_token=3.75e-6)


@pytest.mark.parametrize(("api", "usage", "expected"), [
    ("anthropic_messages", {"input_tokens": 10, "cache_creation_input_tokens": 200, "cache_read_input_tokens": 0,
                            "output_tokens": 5}, (210, 5, 0, 0, 200)),
    ("anthropic_messages", {"input_tokens": 10, "cache_read_input_tokens": 200, "output_tokens": 5},
     (210, 5, 200, 0, 0)),
    ("anthropic_messages", {"input_tokens": "10", "cache_read_input_tokens": -3, "output_tokens": None},
     (0, 0, 0, 0, 0)),
    ("responses", {"input_tokens": 30, "input_tokens_details": {"cached_tokens": 12}, "output_tokens": 9,
                   "output_tokens_details": {"reasoning_tokens": 4}}, (30, 9, 12, 4, 0)),
    ("responses", None, (0, 0, 0, 0, 0)),
])
def test_native_usage_in_openais_shape(api: Any, usage: Any, expected: tuple[int, ...]) -> None:
    shaped = openai_usage(api, usage)
    details = token_details(shaped)
    assert (*usage_of({"usage": shaped}), details.cached, details.reasoning, details.cache_write) == expected


@pytest.mark.parametrize(("tokens", "cost"), [
    ((210, 5, 0, 0, 200), 10 * 3e-6 + 200 * 3.75e-6 + 5 * 1.5e-5),
    ((210, 5, 200, 0, 0), 10 * 3e-6 + 200 * 3e-7 + 5 * 1.5e-5),
    ((210, 5, 100, 0, 500), 100 * 3e-7 + 110 * 3.75e-6 + 5 * 1.5e-5),  # writes capped by what reads left
])
def test_cache_writes_are_billed_at_their_price(tokens: tuple[int, int, int, int, int], cost: float) -> None:
    prompt, completion, cached, reasoning, written = tokens
    details = TokenDetails(cached=cached, cache_write=written, reasoning=reasoning)
    assert PRICES.cost(prompt, completion, details) == pytest.approx(cost)
    plain = Prices(input_per_token=3e-6, output_per_token=1.5e-5, known=True)
    assert plain.cost(prompt, completion, details) == pytest.approx(prompt * 3e-6 + completion * 1.5e-5)
