"""The long SSRF probe: every placement of a canary URL, every value shape, on every deployment, several times.

The CI suite (tests/security/test_ssrf_*.py) sends a sample; this sends all of it. It starts a canary listener,
two fake upstreams (one healthy, one failing so that fallbacks would fire) and a real gateway on 127.0.0.1,
then prints the figures: placements tried, answers by status, connections the canary saw, and whether the
deployment's key reached any host but its own.

    .venv/bin/python bench/attack_probe.py [--iterations 2] [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_LOG", "ERROR")

from tests.security.canary import running_canary  # noqa: E402
from tests.security.conftest import PROVIDER_KEY, attack_config  # noqa: E402
from tests.security.placements import (  # noqa: E402
    Placement,
    embeddings,
    in_headers,
    litellm_names,
    nested,
    send,
    top_level,
)
from tests.support.fake_upstream import running_upstream  # noqa: E402
from tests.support.gateway_server import running_gateway  # noqa: E402

CHAT_MODELS = ["lit-broken", "lit-chat", "native-broken", "native-chat"]


def _schema_refs(url: str) -> list[Placement]:
    refs = [url + "/a.json", url + "/a.json#/x", "file:///etc/hostname", "file:///etc/passwd#/x", "other.json",
            "//127.0.0.1/x", "urn:x", "https://json-schema.org/draft/2020-12/schema"]
    out = []
    for ref in refs:
        for keyword in ("$ref", "$dynamicRef", "$recursiveRef"):
            for stream in (False, True):
                for model in ("native-chat", "lit-chat"):
                    schema = {"$defs": {"x": {"items": {keyword: ref}}}, "properties": {"a": {"$ref": "#/$defs/x"}}}
                    body = {"model": model, "stream": stream, "messages": [{"role": "user", "content": "json"}],
                            "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": schema}}}
                    out.append(Placement(f"schema {keyword}={ref}@{model}", body))
    out.append(Placement("schema $id base", {"model": "native-chat", "messages": [{"role": "user", "content": "j"}],
                                             "response_format": {"type": "json_schema", "json_schema": {
                                                 "name": "n", "schema": {"$id": url + "/", "$ref": "x.json"}}}}))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    with running_canary() as canary, running_upstream() as good, running_upstream() as broken, \
            tempfile.TemporaryDirectory() as tmp:
        broken.set_behaviour(status=500)
        teams = {"alpha": {}, "schema": {"guardrail_policy": "schema"}, "slow": {"guardrail_policy": "slow_schema"}}
        with running_gateway(attack_config(good, broken), f"sqlite:///{tmp}/gw.db", teams, Path(tmp)) as gw:
            groups = {
                "top-level litellm keywords": list(top_level(CHAT_MODELS, canary.url, PROVIDER_KEY, every_value=True)),
                "nested fields": list(nested(CHAT_MODELS, canary.url)),
                "headers": list(in_headers(CHAT_MODELS, canary.url)),
                "embeddings": list(embeddings(["lit-embed", "native-embed"], canary.url, PROVIDER_KEY)),
            }
            schema_placements = _schema_refs(canary.url)
            totals: Counter[int] = Counter()
            tried = 0
            started = time.perf_counter()
            print(f"litellm keywords enumerated: {len(litellm_names())}")
            for iteration in range(args.iterations):
                for name, placements in groups.items():
                    statuses = send(gw, placements, args.workers)
                    totals += statuses
                    tried += len(placements)
                    print(f"[{iteration}] {name:28} {len(placements):5} placements  {dict(sorted(statuses.items()))}")
                statuses = send(gw, schema_placements, args.workers, team="schema")
                totals += statuses
                tried += len(schema_placements)
                print(f"[{iteration}] {'schema refs (json_schema)':28} {len(schema_placements):5} placements  "
                      f"{dict(sorted(statuses.items()))}")
            foreign = [r for up in (good, broken) for r in up.requests
                       if r.headers.get("host") != f"127.0.0.1:{up.port}"]
            seconds = time.perf_counter() - started
            print(f"placements tried: {tried} in {seconds:.0f} s; answers {dict(sorted(totals.items()))}")
            print(f"connections seen by the canary: {canary.connections}")
            print(f"provider key seen by the canary: {canary.seen(PROVIDER_KEY)}; "
                  f"upstream requests with a foreign Host: {len(foreign)}")
            if canary.connections or canary.seen(PROVIDER_KEY) or foreign:
                sys.exit(1)


if __name__ == "__main__":
    main()
