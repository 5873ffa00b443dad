"""Micro-benchmark: prompt resolve + render latency on the request path (target: p50 < 200 µs).

Copies the repository's `prompts/` into a temporary Git repository, labels every prompt `production`, starts a
`PromptStore` and times `parse_model_ref` + `resolve` + `render` per request.

    PYTHONPATH=. .venv/bin/python bench/prompt_bench.py [--iterations 20000]   # or after `pip install -e .`
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from gateway.prompts import PromptStore, parse_model_ref

REPO = Path(__file__).resolve().parents[1]
CASES: dict[str, dict[str, object]] = {
    "support-answer": {
        "question": "How do I rotate my API key without downtime?",
        "customer_name": "Dana",
        "passages": [
            {
                "title": f"Article {i}",
                "url": f"https://help.example.com/{i}",
                "text": "Rotate keys from the console. " * 8,
            }
            for i in range(4)
        ],
    },
    "ticket-classifier": {"subject": "Invoice charged twice", "body": "Hello, I was charged twice this month. " * 10},
    "summarise-thread": {"thread": "\n".join(f"user{i}: message number {i} about the outage" for i in range(30))},
}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def _make_repo(root: Path) -> None:
    shutil.copytree(REPO / "prompts", root / "prompts")
    _git(root, "init", "--quiet", "-b", "main")
    _git(root, "config", "user.name", "bench")
    _git(root, "config", "user.email", "bench@example.com")
    _git(root, "add", "-A")
    _git(root, "commit", "--quiet", "-m", "prompts")
    sha = _git(root, "rev-parse", "HEAD")
    labels = "".join(f"{name}:\n  production: {sha}\n" for name in CASES)
    (root / "prompts" / "labels.yaml").write_text(labels)
    _git(root, "commit", "--quiet", "-am", "labels")


async def _bench(prompts_dir: Path, iterations: int) -> dict[str, list[float]]:
    store = PromptStore(prompts_dir, poll_interval_s=0)
    await store.start()
    timings: dict[str, list[float]] = {}
    for name, variables in CASES.items():
        model = f"prompt:{name}@production"
        for _ in range(200):  # warm-up
            store.render(await store.resolve(parse_model_ref(model)), variables)  # type: ignore[arg-type]
        samples = []
        for _ in range(iterations):
            start = time.perf_counter_ns()
            ref = parse_model_ref(model)
            assert ref is not None
            store.render(await store.resolve(ref), variables)
            samples.append((time.perf_counter_ns() - start) / 1000)
        timings[name] = samples
    await store.stop()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _make_repo(Path(tmp))
        timings = asyncio.run(_bench(Path(tmp) / "prompts", args.iterations))
    print(f"{'prompt':<20} {'p50 µs':>8} {'p99 µs':>8} {'mean µs':>8}  (n={args.iterations})")
    for name, samples in timings.items():
        q = statistics.quantiles(samples, n=100)
        print(f"{name:<20} {q[49]:8.1f} {q[98]:8.1f} {statistics.fmean(samples):8.1f}")


if __name__ == "__main__":
    main()
