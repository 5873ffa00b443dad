"""Tokens priced apart (cache reads and writes, reasoning, audio and images in and out): counted on the usage row,
plain and streamed, and priced by the price map or the deployment's own prices. The HTTP tests are known answers:
the fake upstream reports the parts, the expected cost is written out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.providers.cost import Prices, TokenDetails, token_details
from gateway.providers.pricing import PriceMap, with_overrides
from tests.gateway.conftest import PRICE_IN, PRICE_OUT, deployment
from tests.support.fake_upstream import FakeUpstream

MAPPED = Prices(input_per_token=2e-6, output_per_token=8e-6, known=True, cache_read_per_token=5e-7,
                reasoning_per_token=1e-5, cache_write_per_token=2.5e-6, audio_input_per_token=4e-5,
                audio_output_per_token=8e-5, image_input_per_token=1e-5, image_output_per_token=4e-5)
PLAIN = Prices(input_per_token=2e-6, output_per_token=8e-6, known=True)


@pytest.mark.parametrize(("prices", "tokens", "details", "cost"), [
    (MAPPED, (100, 10), TokenDetails(), 100 * 2e-6 + 10 * 8e-6),
    (MAPPED, (100, 10), TokenDetails(cached=40), 60 * 2e-6 + 40 * 5e-7 + 10 * 8e-6),
    (MAPPED, (100, 10), TokenDetails(reasoning=4), 100 * 2e-6 + 6 * 8e-6 + 4 * 1e-5),
    (MAPPED, (100, 10), TokenDetails(cached=30, cache_write=50),
     20 * 2e-6 + 30 * 5e-7 + 50 * 2.5e-6 + 10 * 8e-6),
    (MAPPED, (100, 10), TokenDetails(audio_input=60, audio_output=7),
     40 * 2e-6 + 60 * 4e-5 + 3 * 8e-6 + 7 * 8e-5),
    (MAPPED, (100, 10), TokenDetails(image_input=25, image_output=9), 75 * 2e-6 + 25 * 1e-5 + 8e-6 + 9 * 4e-5),
    # Parts larger than their totals are capped, in order: cache reads first, then writes, audio, images.
    (MAPPED, (100, 10), TokenDetails(cached=80, cache_write=50, reasoning=50),
     80 * 5e-7 + 20 * 2.5e-6 + 10 * 1e-5),
    # Without prices of their own, parts are billed as any token of their side.
    (PLAIN, (100, 10), TokenDetails(cached=40, cache_write=10, audio_input=5, reasoning=4, image_output=2),
     100 * 2e-6 + 10 * 8e-6),
])
def test_cost(prices: Prices, tokens: tuple[int, int], details: TokenDetails, cost: float) -> None:
    assert prices.cost(*tokens, details) == pytest.approx(cost)


@pytest.mark.parametrize(("usage", "details"), [
    ({"prompt_tokens_details": {"cached_tokens": 7}, "completion_tokens_details": {"reasoning_tokens": 3}},
     TokenDetails(cached=7, reasoning=3)),
    # OpenAI's audio and image counts.
    ({"prompt_tokens_details": {"audio_tokens": 11, "image_tokens": 4},
      "completion_tokens_details": {"audio_tokens": 6, "image_tokens": 2}},
     TokenDetails(audio_input=11, image_input=4, audio_output=6, image_output=2)),
    # Anthropic through litellm: the cache write in prompt_tokens_details, and at the top level.
    ({"prompt_tokens_details": {"cached_tokens": 5, "cache_write_tokens": 9}}, TokenDetails(cached=5, cache_write=9)),
    ({"cache_creation_input_tokens": 9, "cache_read_input_tokens": 5}, TokenDetails(cached=5, cache_write=9)),
    ({"prompt_tokens_details": None}, TokenDetails()),
    ({"prompt_tokens_details": {"cached_tokens": "7", "audio_tokens": True},
      "completion_tokens_details": {"reasoning_tokens": -1}}, TokenDetails()),
    (None, TokenDetails()),
])
def test_token_details(usage: Any, details: TokenDetails) -> None:
    assert token_details(usage) == details


@pytest.mark.parametrize(("model", "fields"), [
    ("gpt-4o", {"cache_read_per_token": 1.25e-6}),
    ("claude-sonnet-4-5", {"cache_read_per_token": 3e-7, "cache_write_per_token": 3.75e-6}),
    ("gpt-4o-audio-preview-2024-12-17", {"audio_input_per_token": 4e-5, "audio_output_per_token": 8e-5}),
    ("gpt-image-1", {"image_input_per_token": 1e-5, "image_output_per_token": 4e-5}),
])
def test_the_bundled_price_map_prices_the_parts(model: str, fields: dict[str, float]) -> None:
    prices = PriceMap().lookup(model)
    assert {name: getattr(prices, name) for name in fields} == fields


def test_overrides() -> None:
    # A part's own price wins; the map's part prices are dropped once the base prices are overridden.
    assert with_overrides(MAPPED, {"cache_creation_input_token_cost": 1e-6}) == Prices(
        **{**_fields(MAPPED), "cache_write_per_token": 1e-6})
    rebased = with_overrides(MAPPED, {"input_cost_per_token": 1e-6, "output_cost_per_audio_token": 2e-5})
    assert rebased == Prices(input_per_token=1e-6, output_per_token=8e-6, known=True, audio_output_per_token=2e-5)
    assert with_overrides(Prices(), {}) == Prices()


def _fields(prices: Prices) -> dict[str, Any]:
    return {name: getattr(prices, name) for name in prices.__slots__}  # type: ignore[attr-defined]


OWN_PRICES = {"cache_read_input_token_cost": 1e-7, "cache_creation_input_token_cost": 3e-6,
              "input_cost_per_audio_token": 5e-6, "input_cost_per_image_token": 4e-6,
              "output_cost_per_reasoning_token": 6e-6, "output_cost_per_audio_token": 7e-6,
              "output_cost_per_image_token": 9e-6}
TWELVE_WORDS = "one two three four five six seven eight nine ten eleven twelve"
PARTS = {"cached_tokens": 2, "cache_write_tokens": 3, "audio_input_tokens": 4, "image_input_tokens": 1,
         "reasoning_tokens": 2, "audio_output_tokens": 3, "image_output_tokens": 1}
# 12 prompt words (2 cached, 3 written, 4 audio, 1 image, 2 plain); 10 answer words (2 reasoning, 3 audio, 1 image,
# 4 plain).
EXPECTED_COST = (2 * 1e-7 + 3 * 3e-6 + 4 * 5e-6 + 1 * 4e-6 + 2 * PRICE_IN
                 + 2 * 6e-6 + 3 * 7e-6 + 1 * 9e-6 + 4 * PRICE_OUT)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("section", ["litellm_params", "model_info"])
def test_usage_rows_carry_and_price_every_part(make_gateway: Any, upstream: FakeUpstream, stream: bool,
                                               section: str) -> None:
    entry = deployment("chat-a", upstream)
    entry[section] = {**entry[section], **OWN_PRICES}  # LiteLLM writes prices in either section
    upstream.set_behaviour(reply="a b c d e f g h i j", **PARTS)
    with make_gateway({"model_list": [entry]}) as gw:
        raw = gw.client().chat.completions.with_raw_response.create(
            model="chat-a", messages=[{"role": "user", "content": TWELVE_WORDS}], stream=stream)
        answer = raw.parse()
        if stream:
            list(answer)
        row = gw.rows()[-1]
        assert (row.prompt_tokens, row.completion_tokens) == (12, 10)
        assert (row.cached_tokens, row.cache_write_tokens, row.audio_input_tokens, row.image_input_tokens) == (2, 3, 4, 1)
        assert (row.reasoning_tokens, row.audio_output_tokens, row.image_output_tokens) == (2, 3, 1)
        assert row.cost_usd == pytest.approx(EXPECTED_COST)
        if not stream:
            assert float(raw.headers["x-warden-cost-usd"]) == pytest.approx(EXPECTED_COST)


def test_cached_and_reasoning_tokens_at_the_overriding_prices(make_gateway: Any, upstream: FakeUpstream) -> None:
    with make_gateway({"model_list": [deployment("chat-a", upstream)]}) as gw:
        text = "one two three four five [[fake:cached_tokens=3]] [[fake:reasoning_tokens=1]]"
        gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": text}])
        row = gw.rows()[-1]
        assert row.cached_tokens == 3 and row.reasoning_tokens == 1
        # The deployment's own base prices override the map's: the map's part prices no longer apply.
        assert row.cost_usd == pytest.approx(row.prompt_tokens * PRICE_IN + row.completion_tokens * PRICE_OUT)


@pytest.mark.parametrize(("model", "parts", "expected"), [
    # gpt-4o: 5 prompt words, 3 read from the cache at 1.25e-6, 2 at 2.5e-6; 1 answer word at 1e-5.
    ("gpt-4o", {"cached_tokens": 3}, 3 * 1.25e-6 + 2 * 2.5e-6 + 1e-5),
    # gpt-4o audio: 4 of the prompt words are audio (4e-5), 1 text (2.5e-6); the answer's 1 word is audio (8e-5).
    ("gpt-4o-audio-preview-2024-12-17", {"audio_input_tokens": 4, "audio_output_tokens": 1},
     4 * 4e-5 + 2.5e-6 + 8e-5),
])
def test_map_prices_over_http(make_gateway: Any, upstream: FakeUpstream, model: str, parts: dict[str, int],
                              expected: float) -> None:
    config = {"model_list": [{"model_name": model, "litellm_params": {
        "model": f"openai/{model}", "api_base": upstream.base_url, "api_key": "sk-upstream-secret"}}]}
    upstream.set_behaviour(reply="done", **parts)
    with make_gateway(config) as gw:
        gw.client().chat.completions.create(model=model, messages=[{"role": "user", "content": "one two three four five"}])
        row = gw.rows()[-1]
        assert (row.prompt_tokens, row.completion_tokens) == (5, 1)
        assert row.cost_usd == pytest.approx(expected)


def test_an_answer_without_parts_shares_one_empty_details_and_costs_its_plain_tokens() -> None:
    from gateway.providers.cost import NO_DETAILS, Prices, TokenDetails, token_details

    assert token_details({"prompt_tokens": 10, "completion_tokens": 5}) is NO_DETAILS
    assert token_details({"prompt_tokens_details": {"cached_tokens": 0}}) is NO_DETAILS
    assert token_details({"prompt_tokens_details": {"cached_tokens": 3}}) == TokenDetails(cached=3)
    assert NO_DETAILS.capped(10, 5) is NO_DETAILS
    prices = Prices(input_per_token=0.5, output_per_token=2.0, cache_read_per_token=0.1, known=True)
    assert prices.cost(10, 5) == prices.cost(10, 5, TokenDetails()) == 15.0
    assert prices.cost(-1, 5, NO_DETAILS) == 10.0
    assert prices.cost(10, 5, TokenDetails(cached=4)) == 6 * 0.5 + 4 * 0.1 + 5 * 2.0
