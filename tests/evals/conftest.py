"""A running gateway in front of the fake upstream, for the eval CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway_server import RunningGateway, running_gateway


@pytest.fixture()
def make_gateway(tmp_path: Path) -> Callable[..., AbstractContextManager[RunningGateway]]:
    def factory(config: dict[str, Any]) -> AbstractContextManager[RunningGateway]:
        return running_gateway(config, f"sqlite:///{tmp_path / 'gw.db'}", None, tmp_path)

    return factory
