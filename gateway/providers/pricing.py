"""Prices per token from litellm's bundled price map, read as a data file.

The map ships inside the litellm package; reading the JSON directly gives Warden the same prices without
importing litellm (which would cost start-up time and memory) and never fetches the remote copy.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import orjson

from gateway.providers.base import Prices

PRICE_FILE = "model_prices_and_context_window_backup.json"


def _price_file() -> Path | None:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / PRICE_FILE
    return path if path.exists() else None


class PriceMap:
    """Looks up prices by the names a deployment may be known under. Keeps only the entries asked for."""

    def __init__(self, entries: dict[str, dict[str, object]] | None = None) -> None:
        if entries is None:
            path = _price_file()
            entries = orjson.loads(path.read_bytes()) if path else {}
        self._entries = entries

    def lookup(self, *names: str | None) -> Prices:
        for name in names:
            if not name:
                continue
            entry = self._entries.get(name)
            if isinstance(entry, dict) and "input_cost_per_token" in entry:
                max_out = entry.get("max_output_tokens")
                return Prices(
                    input_per_token=float(entry.get("input_cost_per_token") or 0.0),  # type: ignore[arg-type]
                    output_per_token=float(entry.get("output_cost_per_token") or 0.0),  # type: ignore[arg-type]
                    max_output_tokens=max_out if isinstance(max_out, int) else None,
                    known=True,
                    cache_read_per_token=_price(entry.get("cache_read_input_token_cost")),
                    reasoning_per_token=_price(entry.get("output_cost_per_reasoning_token")),
                    cache_write_per_token=_price(entry.get("cache_creation_input_token_cost")),
                )
        return Prices()


def _price(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else None


def with_overrides(base: Prices, input_per_token: float | None, output_per_token: float | None) -> Prices:
    if input_per_token is None and output_per_token is None:
        return base
    # The map's cache-read and reasoning prices are for the map's input and output prices: an override of those
    # makes them unreliable, so cached and reasoning tokens are then billed at the overriding prices.
    return Prices(
        input_per_token=base.input_per_token if input_per_token is None else input_per_token,
        output_per_token=base.output_per_token if output_per_token is None else output_per_token,
        max_output_tokens=base.max_output_tokens,
        known=True,
    )
