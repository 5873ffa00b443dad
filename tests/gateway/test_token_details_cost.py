"""Cached prompt tokens and reasoning tokens: counted on the usage row (plain and streamed) and priced apart when
the price map has a cache-read or reasoning price."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.providers.base import Prices, token_details
from gateway.providers.pricing import PriceMap
from tests.gateway.conftest import PRICE_IN, PRICE_OUT, deployment
from tests.support.fake_upstream import FakeUpstream

MAPPED = Prices(input_per_token=2e-6, output_per_token=8e-6, known=True, cache_read_per_token=5e-7,
                reasoning_per_token=1e-5)


@pytest.mark.parametrize(("prices", "tokens", "cost"), [
    (MAPPED, (100, 10, 0, 0), 100 * 2e-6 + 10 * 8e-6),
    (MAPPED, (100, 10, 40, 0), 60 * 2e-6 + 40 * 5e-7 + 10 * 8e-6),
    (MAPPED, (100, 10, 0, 4), 100 * 2e-6 + 6 * 8e-6 + 4 * 1e-5),
    (MAPPED, (100, 10, 500, 50), 100 * 5e-7 + 10 * 1e-5),  # parts larger than their totals are capped
    (Prices(input_per_token=2e-6, output_per_token=8e-6, known=True), (100, 10, 40, 4), 100 * 2e-6 + 10 * 8e-6),
])
def test_cost(prices: Prices, tokens: tuple[int, int, int, int], cost: float) -> None:
    assert prices.cost(*tokens) == pytest.approx(cost)


@pytest.mark.parametrize(("usage", "details"), [
    ({"prompt_tokens_details": {"cached_tokens": 7}, "completion_tokens_details": {"reasoning_tokens": 3}}, (7, 3)),
    ({"prompt_tokens_details": None}, (0, 0)),
    ({"prompt_tokens_details": {"cached_tokens": "7"}, "completion_tokens_details": {"reasoning_tokens": -1}}, (0, 0)),
    (None, (0, 0)),
])
def test_token_details(usage: Any, details: tuple[int, int]) -> None:
    assert token_details(usage) == details


def test_the_price_map_cache_read_price_is_used() -> None:
    prices = PriceMap({"gpt-4o": {"input_cost_per_token": 2.5e-6, "output_cost_per_token": 1e-5,
                                  "cache_read_input_token_cost": 1.25e-6}}).lookup("gpt-4o")
    assert prices.cache_read_per_token == 1.25e-6 and prices.reasoning_per_token is None


@pytest.mark.parametrize("stream", [False, True])
def test_usage_rows_carry_them(make_gateway: Any, upstream: FakeUpstream, stream: bool) -> None:
    with make_gateway({"model_list": [deployment("chat-a", upstream)]}) as gw:
        text = "one two three four five [[fake:cached_tokens=3]] [[fake:reasoning_tokens=1]]"
        answer = gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": text}],
                                                     stream=stream)
        if stream:
            list(answer)
        row = gw.rows()[-1]
        assert row.cached_tokens == 3 and row.reasoning_tokens == 1
        # The deployment's own prices override the map's: cached and reasoning tokens are billed at them.
        assert row.cost_usd == pytest.approx(row.prompt_tokens * PRICE_IN + row.completion_tokens * PRICE_OUT)


def test_cached_tokens_cost_the_map_cache_read_price(make_gateway: Any, upstream: FakeUpstream) -> None:
    config = {"model_list": [{"model_name": "gpt-4o", "litellm_params": {
        "model": "openai/gpt-4o", "api_base": upstream.base_url, "api_key": "sk-upstream-secret"}}]}
    with make_gateway(config) as gw:
        text = "one two three four five [[fake:cached_tokens=3]]"
        gw.client().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
        row = gw.rows()[-1]
        prices = PriceMap().lookup("gpt-4o")
        assert prices.cache_read_per_token is not None and prices.cache_read_per_token < prices.input_per_token
        expected = ((row.prompt_tokens - 3) * prices.input_per_token + 3 * prices.cache_read_per_token
                    + row.completion_tokens * prices.output_per_token)
        assert row.cached_tokens == 3 and row.cost_usd == pytest.approx(expected)
