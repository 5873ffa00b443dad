"""A serving gateway freezes its start-up heap (gateway/app.py `freeze_startup_heap`) and releases it on close;
test gateways turn that off (Settings.freeze_heap), this file keeps it under test."""

from __future__ import annotations

import gc
from pathlib import Path

from gateway.settings import Settings
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import running_gateway


def test_production_settings_freeze_the_heap() -> None:
    assert Settings().freeze_heap and Settings.from_env().freeze_heap


def test_the_start_up_heap_is_frozen_while_serving_and_released_on_close(upstream: FakeUpstream,
                                                                          tmp_path: Path) -> None:
    assert gc.get_freeze_count() == 0
    config = {"model_list": [deployment("chat-a", upstream)]}
    with running_gateway(config, f"sqlite:///{tmp_path / 'gw.db'}", None, tmp_path, freeze_heap=True) as gw:
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # modules, config, models: most of the heap
        answer = gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hi"}])
        assert answer.choices[0].message.content
    assert gc.get_freeze_count() == 0


def test_a_gateway_without_it_leaves_the_heap_alone(upstream: FakeUpstream, tmp_path: Path) -> None:
    config = {"model_list": [deployment("chat-a", upstream)]}
    with running_gateway(config, f"sqlite:///{tmp_path / 'gw.db'}", None, tmp_path) as gw:
        assert gc.get_freeze_count() == 0
        answer = gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hi"}])
        assert answer.choices[0].message.content
