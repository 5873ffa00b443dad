"""Budgets under 200 concurrent requests on a $0.01 key, plain and with a stored prompt, on the in-process
limiter and on Redis: what was spent exceeds the budget by at most one request's cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.budget_support import BUDGET_USD, budget_gateway, race
from tests.support.fake_upstream import FakeUpstream


@pytest.mark.parametrize("backend", ["memory", "redis"])
@pytest.mark.parametrize("stored_prompt", [False, True], ids=["plain", "stored_prompt"])
def test_200_concurrent_requests_overspend_at_most_one_request(upstream: FakeUpstream, tmp_path: Path,
                                                               backend: str, stored_prompt: bool) -> None:
    with budget_gateway(upstream, tmp_path, backend) as gw:
        result = race(gw, 200, stored_prompt=stored_prompt)
    assert result.other == []
    assert result.spent_usd <= BUDGET_USD + result.max_request_usd, result
    assert result.passed >= 1 and result.refused >= 1
    assert result.passed + result.refused == 200
