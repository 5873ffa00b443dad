"""How many tokens a prompt can be, known before the call and without a tokenizer.

Budgets reserve a request's worst case, so the prompt's count must be an upper bound, not a guess. Byte-level
BPE tokenizers (GPT-3.5/4/4o, Llama 3, Claude, DeepSeek, Qwen) and SentencePiece with byte fallback never make
more tokens than the text has UTF-8 bytes, and dense text gets close to that: measured with the cl100k, o200k,
p50k, Claude and DeepSeek tokenizers, spaced digits, control characters, combining marks and rare CJK reach
1.00 token per byte, Hangul 0.99, Cyrillic 0.96, printable ASCII noise 0.86, base64 0.77; English prose 0.19
(`bench/fuzz_probe.py --tokens` prints the table). Characters/4 undercounts those by up to 16x. So the bound is
the bytes of what goes upstream, as JSON: messages, tools and schemas alike, with the JSON's quotes and keys as
the margin for the chat template's role tokens. English is over-reserved about 5x; the hold is released when the
request settles, so that only matters for a budget's last few requests in flight.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

IMAGE_TOKENS = 2_000
"""An image part counts as this many tokens, not its bytes: providers bill images by tiles (a high-detail
2048x2048 image is 1,105 tokens at OpenAI's rates), and a data URL's base64 would inflate the bound a thousandfold."""
_NOT_SENT_AS_TEXT = ("image_url", "input_image")
_IMAGE_MARKERS = tuple(f'"{kind}"'.encode() for kind in _NOT_SENT_AS_TEXT)


def prompt_token_bound(payload: Mapping[str, Any]) -> int:
    """An upper bound on the prompt tokens of the upstream body `payload` (chat or embeddings)."""
    try:
        sent = orjson.dumps(payload)
    except TypeError:  # an integer beyond 64 bits (or a mapping orjson does not take): the general path says
        sent = None
    # No image part can be there unless its type's name is in the JSON: then the body is counted as it is.
    if sent is not None and not any(marker in sent for marker in _IMAGE_MARKERS):
        return len(sent)
    images = 0

    def strip(value: Any) -> Any:
        nonlocal images
        if isinstance(value, dict):
            if value.get("type") in _NOT_SENT_AS_TEXT:
                images += 1
                return None
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    body = strip(dict(payload))
    try:
        size = len(orjson.dumps(body))
    except TypeError:  # an integer beyond 64 bits: the request fails upstream, the bound only needs to be high
        size = len(repr(body).encode())
    return size + IMAGE_TOKENS * images


def typical_prompt_tokens(texts: list[str], messages: int) -> int:
    """About four characters a token: what rate limits (TPM) charge before the call; reconciled after it."""
    return sum(len(t) for t in texts) // 4 + (4 * messages if messages else 1)
