"""The long versions of the security suite, run by hand; prints figures.

    .venv/bin/python bench/fuzz_probe.py [--body-cases 20000] [--schema-examples 60] [--negative]
                                         [--budget-rounds 5] [--tokens] [--seed 1]

- fuzz: schemathesis over the OpenAPI document (schema-valid cases, and with --negative its invalid ones) and
  the hostile-JSON body fuzzer of tests/security, on a gateway with every kind of caller: counts cases and 5xx;
- budget: 200 concurrent requests on a $0.01 key, plain and with a stored prompt, memory and Redis, repeated:
  prints the worst overspend next to one request's cost;
- tokens (--tokens): the prompt-bound table behind gateway/limits/estimate.py, measured with the tokenizer files
  litellm ships (read from the installed package; nothing is downloaded).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import httpx  # noqa: E402


def fuzz(body_cases: int, examples: int, negative: bool, seed: int) -> None:
    import schemathesis
    from hypothesis.errors import HypothesisException

    from tests.security.authz_support import VALID_BODIES, authz_world, operations
    from tests.security.fuzz_support import body
    from tests.support.fake_upstream import running_upstream

    with running_upstream() as upstream, authz_world(upstream, Path(tempfile.mkdtemp())) as world:
        document = httpx.get(world.gw.base_url + "/openapi.json").json()
        api = schemathesis.openapi.from_dict(document)
        modes = [schemathesis.GenerationMode.POSITIVE] + ([schemathesis.GenerationMode.NEGATIVE] if negative else [])
        cases, errors, started = Counter(), [], time.perf_counter()
        for mode in modes:
            for result in api.get_all_operations():
                try:
                    _operation(world, result.ok(), mode, examples, cases, errors)()
                except HypothesisException as exc:  # nothing to generate for this operation in this mode
                    cases[f"skipped {mode.value}: {type(exc).__name__}"] += 1
        rng = random.Random(seed)
        targets = [op for op in operations(world.gw.server.config.app) if op.method in ("POST", "PUT", "PATCH")]
        with httpx.Client(base_url=world.gw.base_url, timeout=60) as http:
            for i in range(body_cases):
                op = targets[i % len(targets)]
                who = "admin" if op.admin_only or rng.random() < 0.3 else "team_a"
                response = http.request(op.method, world.path(op.template), content=body(rng, VALID_BODIES.get(
                    (op.method, op.template))), headers=world.headers(who, **{"content-type": "application/json"}))
                cases["body fuzzer"] += 1
                if response.status_code >= 500:
                    errors.append(f"{op.method} {op.template}: {response.status_code}")
        print(f"fuzz: {dict(cases)}; total {sum(v for k, v in cases.items() if not k.startswith('skipped'))} cases, "
              f"{len(errors)} 5xx, {time.perf_counter() - started:.0f} s")
        for line in errors[:20]:
            print("  5xx:", line)


def _operation(world: Any, operation: Any, mode: Any, examples: int, cases: Counter[str], errors: list[str]) -> Any:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    who = "admin" if operation.path.startswith(("/admin", "/registry/audit", "/metrics")) else "team_a"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=world.gw.base_url, headers=world.headers(who), timeout=60)
        cases[f"schemathesis {mode.value}"] += 1
        if response.status_code >= 500:
            errors.append(f"{case.method} {case.formatted_path}: {response.status_code}")

    return run


def budget(rounds: int) -> None:
    from tests.security.budget_support import BUDGET_USD, budget_gateway, race
    from tests.support.fake_upstream import running_upstream

    for backend in ("memory", "redis"):
        for stored in (False, True):
            worst, one, passed = 0.0, 0.0, []
            for _ in range(rounds):
                with running_upstream() as upstream, budget_gateway(upstream, Path(tempfile.mkdtemp()), backend) as gw:
                    result = race(gw, 200, stored_prompt=stored)
                worst, one = max(worst, result.overspend_usd), max(one, result.max_request_usd)
                passed.append(result.passed)
            kind = "stored prompt" if stored else "plain"
            print(f"budget {backend:6s} {kind:13s}: budget ${BUDGET_USD}, worst overspend ${worst:.5f} "
                  f"(one request ${one:.5f}), admitted per round {passed}")


def tokens() -> None:
    import base64
    import string

    import litellm
    from tokenizers import Tokenizer

    folder = Path(litellm.__file__).parent / "litellm_core_utils" / "tokenizers"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    import tiktoken

    encoders = {name: tiktoken.get_encoding(name).encode for name in ("cl100k_base", "o200k_base", "p50k_base")}
    for file in ("anthropic_tokenizer.json", "deepseek_tokenizer.json"):
        tokenizer = Tokenizer.from_file(str(folder / file))
        encoders[file.split("_")[0]] = lambda text, t=tokenizer: t.encode(text).ids
    rng = random.Random(1)
    texts = {
        "english": "The quick brown fox jumps over the lazy dog while the team reviews the plan. " * 40,
        "base64": base64.b64encode(rng.randbytes(3000)).decode(),
        "hex": rng.randbytes(2000).hex(),
        "digits": "".join(rng.choice(string.digits) for _ in range(4000)),
        "spaced digits": " ".join(rng.choice(string.digits) for _ in range(2000)),
        "printable": "".join(rng.choice(string.printable) for _ in range(4000)),
        "cjk": "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(2000)),
        "hangul": "".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(2000)),
        "emoji": "".join(chr(rng.randint(0x1F300, 0x1FAFF)) for _ in range(1000)),
        "rare cjk (astral)": "".join(chr(rng.randint(0x20000, 0x2A6DF)) for _ in range(1000)),
        "cyrillic": "".join(chr(rng.randint(0x400, 0x4FF)) for _ in range(2000)),
        "combining marks": "".join("a" + chr(rng.randint(0x300, 0x36F)) for _ in range(1000)),
        "control chars": "".join(chr(rng.randint(0, 31)) for _ in range(2000)),
    }
    print(f"{'text':18s} {'chars':>6s} {'bytes':>6s} {'max tokens':>10s} {'tok/byte':>8s} {'chars/4':>7s}")
    for name, text in texts.items():
        most = max(len(encode(text)) for encode in encoders.values())
        size = len(text.encode())
        print(f"{name:18s} {len(text):6d} {size:6d} {most:10d} {most / size:8.2f} {len(text) // 4:7d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--body-cases", type=int, default=20_000)
    parser.add_argument("--schema-examples", type=int, default=60)
    parser.add_argument("--negative", action="store_true", help="schemathesis' invalid cases too (slow)")
    parser.add_argument("--budget-rounds", type=int, default=3)
    parser.add_argument("--tokens", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.tokens:
        tokens()
    if args.budget_rounds:
        budget(args.budget_rounds)
    fuzz(args.body_cases, args.schema_examples, args.negative, args.seed)


if __name__ == "__main__":
    main()
