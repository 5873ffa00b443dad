"""The strategies' choice as a table of cases (seeded), including latency-based exploration of a recovered
deployment, which the HTTP tests can only show statistically."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from gateway.providers.base import Deployment, Prices
from gateway.providers.strategies import EXPLORE_SHARE, LATENCY_WINDOW, Load, Strategy, choose


def _d(name: str, tpm: int | None = None, price: float = 1e-6, known: bool = True) -> Deployment:
    return Deployment(id=name, model_name="m", provider="openai", upstream_model="m", litellm_model="openai/m",
                      transport="native", tpm=tpm, prices=Prices(price, price, known=known))


A, B = _d("a", tpm=1000, price=1e-6), _d("b", tpm=100, price=1e-7)
NOW = 120.0


def _loads(a: Load, b: Load) -> dict[str, Load]:
    return {"a": a, "b": b}


def _timed(*seconds: float) -> Load:
    load = Load()
    for s in seconds:
        load.observe_latency(s)
    return load


@pytest.mark.parametrize("strategy, loads, expected", [
    ("least-busy", _loads(Load(in_flight=0), Load(in_flight=2)), "a"),
    ("least-busy", _loads(Load(in_flight=3), Load(in_flight=1)), "b"),
    ("latency-based-routing", _loads(_timed(0.5, 0.5), Load()), "b"),  # unmeasured first (warm-up)
    ("latency-based-routing", _loads(_timed(0.5, 0.5), _timed(0.001)), "b"),  # measured twice before speed decides
    ("usage-based-routing", _loads(Load(minute=2, minute_tokens=500), Load(minute=2, minute_tokens=10)), "b"),
    ("usage-based-routing-v2", _loads(Load(minute=2, minute_tokens=100), Load(minute=2, minute_tokens=50)), "a"),
    ("usage-based-routing", _loads(Load(minute=2, minute_tokens=50), Load(minute=1, minute_tokens=900)), "b"),
    ("cost-based-routing", _loads(Load(), Load()), "b"),
])
def test_strategy_picks(strategy: Strategy, loads: dict[str, Load], expected: str) -> None:
    rng = random.Random(7)
    assert {choose(strategy, [A, B], loads, NOW, rng).id for _ in range(50)} == {expected}


def test_unknown_price_goes_last_under_cost_based() -> None:
    unknown = _d("u", price=0.0, known=False)
    assert choose("cost-based-routing", [unknown, A], {"u": Load(), "a": Load()}, NOW).id == "a"


def test_latency_based_explores_a_recovered_deployment() -> None:
    loads = _loads(_timed(*[0.010] * LATENCY_WINDOW), _timed(*[0.500] * LATENCY_WINDOW))  # b was slow; it recovered
    rng = random.Random(11)
    picks = Counter(choose("latency-based-routing", [A, B], loads, NOW, rng).id for _ in range(2000))
    assert 0.5 * EXPLORE_SHARE / 2 < picks["b"] / 2000 < 2 * EXPLORE_SHARE / 2
    for expected in ("a", "a", "b"):  # each exploration measures b again: three fast answers of five and it takes over
        loads["b"].observe_latency(0.002)
        assert choose("latency-based-routing", [A, B], loads, NOW, random.Random(1)).id == expected


def test_one_slow_answer_does_not_decide() -> None:
    # The fast deployment's first answer paid a cold start (a new connection, a pause of the process): 1 s against the
    # other's steady 120 ms. Its second answer outvotes it, and a later single outlier is outvoted too.
    fast, slow = _timed(1.0, 0.002), _timed(0.120, 0.120)
    assert choose("latency-based-routing", [A, B], _loads(fast, slow), NOW, random.Random(1)).id == "a"
    for s in (0.002, 0.003, 0.9):
        fast.observe_latency(s)
    assert fast.latency_s == 0.003
    for _ in range(3):  # but three slow answers of five are a slow deployment
        fast.observe_latency(0.4)
    assert choose("latency-based-routing", [A, B], _loads(fast, slow), NOW, random.Random(1)).id == "b"


def test_simple_shuffle_follows_weights() -> None:
    heavy = Deployment(id="h", model_name="m", provider="openai", upstream_model="m", litellm_model="openai/m",
                       transport="native", weight=9.0)
    rng = random.Random(3)
    picks = Counter(choose("simple-shuffle", [heavy, A], {"h": Load(), "a": Load()}, NOW, rng).id
                    for _ in range(1000))
    assert picks["h"] > 800
