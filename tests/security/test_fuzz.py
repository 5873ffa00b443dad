"""Fuzzing every JSON body and query parameter: schemathesis over the app's OpenAPI document (registry and admin
bodies described in it), then a body fuzzer of hostile JSON. No 5xx, ever."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.security.authz_support import MODEL, VALID_BODIES, World, authz_world, operations
from tests.security.fuzz_support import body
from tests.support.fake_upstream import running_upstream

SCHEMA_EXAMPLES = 12
"""Per operation; simple operations (no parameters) have fewer distinct cases."""
BODY_CASES = 1_500
SEED = 20261202
calls: Counter[str] = Counter()

VALID_BODIES_TOO = {
    **VALID_BODIES,
    ("POST", "/v1/chat/completions"): {"model": "chat-a", "messages": [{"role": "user", "content": "hi"}],
                                       "max_tokens": 5},
    ("POST", "/v1/embeddings"): {"model": "chat-a", "input": "hi"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_upstream() as upstream, authz_world(upstream, tmp_path_factory.mktemp("fuzz")) as built:
        yield built


def _fuzz_operation(world: World, operation: schemathesis.APIOperation, mode: GenerationMode) -> list[str]:
    """Up to SCHEMA_EXAMPLES generated cases of one operation; the 5xx answers it got."""
    failures: list[str] = []
    who = "admin" if operation.path.startswith(("/admin", "/registry/audit", "/metrics")) else "team_a"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=SCHEMA_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        if case.path_parameters and "name" in case.path_parameters and calls["schemathesis"] % 3 == 0:
            case.path_parameters["name"] = MODEL  # reach team A's model too, not only unknown names
        response = case.call(base_url=world.gw.base_url, headers=world.headers(who), timeout=60)
        calls["schemathesis"] += 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} {case.query}: {response.status_code} "
                            f"{response.text[:200]}")

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
        pass
    return failures


def test_openapi_operations_never_answer_5xx(world: World) -> None:
    """Schema-valid cases (invalid ones are the body fuzzer's; `bench/fuzz_probe.py` runs schemathesis' own
    negative mode too, which is too slow for CI here)."""
    mode = GenerationMode.POSITIVE
    with httpx.Client(base_url=world.gw.base_url) as http:
        document = http.get("/openapi.json").json()
    api = schemathesis.openapi.from_dict(document)
    failures, operations_tried = [], 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations_tried += 1
        failures += _fuzz_operation(world, operation, mode)
    print(f"schemathesis ({mode.value}): {operations_tried} operations, {calls['schemathesis']} cases so far, "
          f"{len(failures)} 5xx")
    assert operations_tried >= 60
    assert failures == []


def test_body_fuzzer_never_answers_5xx(world: World) -> None:
    rng = random.Random(SEED)
    targets = [op for op in operations(world.gw.server.config.app)  # type: ignore[union-attr]
               if op.method in ("POST", "PUT", "PATCH")]
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=world.gw.base_url, timeout=60) as http:
        for i in range(BODY_CASES):
            op = targets[i % len(targets)]
            who = "admin" if op.admin_only or rng.random() < 0.3 else "team_a"
            content = body(rng, VALID_BODIES_TOO.get((op.method, op.template)))
            response = http.request(op.method, world.path(op.template), content=content,
                                    headers=world.headers(who, **{"content-type": "application/json"}))
            statuses[response.status_code] += 1
            assert response.status_code < 500, (op, content[:300], response.status_code, response.text[:300])
    calls["body fuzzer"] += BODY_CASES
    print(f"body fuzzer: {BODY_CASES} cases over {len(targets)} operations, statuses {dict(sorted(statuses.items()))}")


def test_fuzz_case_count() -> None:
    """Runs last in this file: the two fuzzers together tried at least 2,000 cases."""
    print(f"fuzz cases: {dict(calls)}, total {sum(calls.values())}, 0 5xx")
    assert sum(calls.values()) >= 2_000
