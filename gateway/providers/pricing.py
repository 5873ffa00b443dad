"""Prices per token from litellm's bundled price map, read as a data file.

The map ships inside the litellm package; reading the JSON directly gives Warden the same prices without
importing litellm (which would cost start-up time and memory) and never fetches the remote copy.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Mapping
from pathlib import Path

import orjson

from gateway.providers.cost import Prices

PRICE_FILE = "model_prices_and_context_window_backup.json"
PRICE_KEYS = {
    "input_cost_per_token": "input_per_token",
    "output_cost_per_token": "output_per_token",
    "cache_read_input_token_cost": "cache_read_per_token",
    "cache_creation_input_token_cost": "cache_write_per_token",
    "input_cost_per_audio_token": "audio_input_per_token",
    "input_cost_per_image_token": "image_input_per_token",
    "output_cost_per_reasoning_token": "reasoning_per_token",
    "output_cost_per_audio_token": "audio_output_per_token",
    "output_cost_per_image_token": "image_output_per_token",
    "input_cost_per_character": "input_per_character",
    "input_cost_per_second": "input_per_second",
}
"""litellm's name of each price (in its price map and in a deployment's config) -> `Prices` field."""
_BASE_KEYS = ("input_cost_per_token", "output_cost_per_token")


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
            if isinstance(entry, dict) and any(key in entry for key in PRICE_KEYS):
                max_out = entry.get("max_output_tokens")
                parts = {field: _price(entry.get(key)) for key, field in PRICE_KEYS.items() if key not in _BASE_KEYS}
                return Prices(
                    input_per_token=float(entry.get("input_cost_per_token") or 0.0),  # type: ignore[arg-type]
                    output_per_token=float(entry.get("output_cost_per_token") or 0.0),  # type: ignore[arg-type]
                    max_output_tokens=max_out if isinstance(max_out, int) else None,
                    known=True,
                    **parts,  # type: ignore[arg-type]
                )
        return Prices()


def _price(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else None


def with_overrides(base: Prices, overrides: Mapping[str, float]) -> Prices:
    """`base` with a deployment's own prices (litellm's names, as in `PRICE_KEYS`) over it."""
    if not overrides:
        return base
    fields = {PRICE_KEYS[key]: value for key, value in overrides.items()}
    if any(key in overrides for key in _BASE_KEYS):
        # The map's part prices (cache read, audio...) are for the map's input and output prices: an override of
        # those makes them unreliable, so the parts are then billed at the overriding prices unless priced too.
        base = dataclasses.replace(base, **{field: None for key, field in PRICE_KEYS.items() if key not in _BASE_KEYS})
    return dataclasses.replace(base, known=True, **fields)
