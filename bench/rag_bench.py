"""RAG governance: the added latency of chunk filtering (ACLs, source policy, embedding-version flags).

Two measurements, run by hand, never in CI:

1. `step`: the `filter_chunks` pipeline step alone, in-process, on a request with N chunks carrying metadata (half of
   them of another team, so they are removed), against a catalog of registered sources in SQLite (snapshot cached,
   as between refreshes). Per-call microseconds, p50 / p99.
2. `http`: the gateway over HTTP (real sockets, a fake upstream), the same request with `rag.enabled` on and off;
   the gateway's own `x-warden-overhead-ms` p50 / p99 and their difference.

    PYTHONPATH=. .venv/bin/python bench/rag_bench.py [--chunks 10] [--iterations 5000] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.config import parse_config  # noqa: E402
from gateway.pipeline.context import Principal, RequestContext  # noqa: E402
from gateway.pipeline.filter_chunks import filter_chunks  # noqa: E402
from gateway.rag.catalog import SourceCatalog  # noqa: E402
from gateway.schemas import ChatRequest, parse_request  # noqa: E402
from gateway.tracing import NoTracing  # noqa: E402
from registry.db import make_engine  # noqa: E402
from registry.migrate import upgrade  # noqa: E402
from registry.rag.sources import SourceSpec, create_source  # noqa: E402

RAG = {"enabled": True, "refresh_s": 5, "send_documents": True, "team_groups": {"alpha": ["alpha", "staff"]}}


def body(chunks: int) -> dict[str, Any]:
    documents = [{"text": f"Chunk {i}: the office opens at {i % 12 + 1} o'clock on weekdays.",
                  "metadata": {"source_id": f"src{i % 4}", "chunk_id": f"c{i}", "chunking": "recursive-512",
                               "embedding_model": "e5", "embedding_version": "v2",
                               "acl": ["alpha"] if i % 2 else ["beta"]}} for i in range(chunks)]
    return {"model": "chat-a", "messages": [{"role": "user", "content": "When does the office open?"}],
            "documents": documents}


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def step_bench(chunks: int, iterations: int, tmp: Path) -> tuple[float, float]:
    url = f"sqlite:///{tmp / 'step.db'}"
    upgrade(url)
    engine = make_engine(url)
    for i in range(4):
        spec = SourceSpec(id=f"src{i}", owner="kb", embedding_model="e5", embedding_version="v2")
        create_source(engine, spec, "bench")
    config = parse_config({"rag": RAG})
    gw = SimpleNamespace(config=config, rag=SourceCatalog(engine, config.rag.refresh_s), tracing=NoTracing())
    principal = Principal(key_id="k", role="team", team="alpha", models=None)
    data = body(chunks)
    times = []
    for n in range(iterations + 200):
        request = parse_request(ChatRequest, data)
        ctx = RequestContext(request_id=str(n), endpoint="chat", principal=principal, request=request)
        started = time.perf_counter()
        await filter_chunks(gw, ctx)  # type: ignore[arg-type]
        if n >= 200:  # the first calls load the snapshot
            times.append((time.perf_counter() - started) * 1e6)
    engine.dispose()
    return percentiles(times)


def http_bench(chunks: int, requests: int, tmp: Path) -> dict[str, tuple[float, float]]:
    import httpx

    from tests.support.fake_upstream import running_upstream
    from tests.support.gateway_server import running_gateway

    out = {}
    with running_upstream() as upstream:
        for label, rag in (("off", {"enabled": False}), ("on", RAG)):
            model = {"model_name": "chat-a", "litellm_params": {"model": "openai/chat-a", "api_base": upstream.base_url,
                                                                "api_key": "sk-bench"}}
            config = {"model_list": [model], "prompts": None, "rag": rag}
            work = tmp / label
            work.mkdir()
            with running_gateway(config, f"sqlite:///{work / 'gw.db'}", {"alpha": {}}, work) as gw:
                with httpx.Client(base_url=gw.base_url, timeout=30) as http:
                    headers = {"authorization": f"Bearer {gw.admin_key}"}
                    for i in range(4):
                        http.post("/registry/rag/sources", json={"id": f"src{i}", "owner": "kb"}, headers=headers)
                    headers = {"authorization": f"Bearer {gw.keys['alpha']}"}
                    overheads = []
                    for n in range(requests + 20):
                        response = http.post("/v1/chat/completions", json=body(chunks), headers=headers)
                        response.raise_for_status()
                        if n >= 20:
                            overheads.append(float(response.headers["x-warden-overhead-ms"]))
            out[label] = percentiles(overheads)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        p50, p99 = asyncio.run(step_bench(args.chunks, args.iterations, Path(tmp)))
        print(f"step  filter_chunks, {args.chunks} chunks ({args.chunks // 2} removed): "
              f"p50 {p50:.1f} us  p99 {p99:.1f} us"
              f"  ({args.iterations} calls)")
        if args.skip_http:
            return
        results = http_bench(args.chunks, args.requests, Path(tmp))
        for label, (h50, h99) in results.items():
            print(f"http  rag {label:<3} x-warden-overhead-ms: p50 {h50:.3f}  p99 {h99:.3f}  "
                  f"({args.requests} requests)")
        added = results["on"][0] - results["off"][0]
        print(f"http  added p50 {added:.3f} ms")


if __name__ == "__main__":
    main()
