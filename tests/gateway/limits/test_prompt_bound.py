"""The prompt-token bound budgets hold: the JSON bytes of what goes upstream, an image part as IMAGE_TOKENS."""

from __future__ import annotations

import orjson

from gateway.limits.estimate import IMAGE_TOKENS, prompt_token_bound


def test_text_is_bounded_by_its_json_bytes_even_when_it_names_an_image_type() -> None:
    payload = {"messages": [{"role": "user", "content": 'what is an "image_url" part? ünïcödé'}], "max_tokens": 5}
    assert prompt_token_bound(payload) == len(orjson.dumps(payload))
    assert prompt_token_bound({}) == 2


def test_image_parts_count_as_a_fixed_number_of_tokens_not_their_bytes() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 50_000}}
    responses_image = {"type": "input_image", "image_url": "https://example.com/a.png"}
    payload = {"messages": [{"role": "user", "content": [{"type": "text", "text": "describe"}, image]},
                            {"role": "user", "content": [responses_image]}]}
    without = {"messages": [{"role": "user", "content": [{"type": "text", "text": "describe"}, None]},
                            {"role": "user", "content": [None]}]}
    assert prompt_token_bound(payload) == len(orjson.dumps(without)) + 2 * IMAGE_TOKENS


def test_an_integer_json_cannot_hold_still_gets_a_bound() -> None:
    payload = {"messages": [{"role": "user", "content": "hi"}], "seed": 2**70}
    assert prompt_token_bound(payload) >= len('{"messages":[{"role":"user","content":"hi"}],"seed":}') + 21
