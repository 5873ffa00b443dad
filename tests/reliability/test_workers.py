"""`warden serve --workers N`: the in-process limiter refuses to be split, and /metrics sums every worker."""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import yaml
from click.testing import CliRunner
from prometheus_client.mmap_dict import MmapedDict

from gateway.cli.serve import serve
from tests.gateway.conftest import deployment
from tests.reliability.serve_process import ServedWarden, served_warden
from tests.support.fake_upstream import FakeUpstream

REDIS_URL = "redis://127.0.0.1:6379/0"
REQUESTS = re.compile(r'^warden_requests_total\{[^}]*\} ([0-9.e+]+)$', re.MULTILINE)


def test_workers_with_the_memory_limiter_are_refused_and_pointed_at_redis(upstream: FakeUpstream,
                                                                         tmp_path: Path) -> None:
    config = tmp_path / "memory.yaml"
    config.write_text(yaml.safe_dump({"model_list": [deployment("chat-a", upstream)]}))
    result = CliRunner().invoke(serve, ["--config", str(config), "--database-url", f"sqlite:///{tmp_path}/r.db",
                                        "--workers", "2"])
    assert result.exit_code == 2, result.output
    assert "limits.backend 'memory'" in result.output and "backend: redis" in result.output
    assert "--per-worker-limits" in result.output
    assert not (tmp_path / "r.db").exists()  # refused before anything was opened


def _per_worker_requests(folder: Path) -> dict[str, float]:
    """Requests counted in each worker's metric file (counter_<pid>.db)."""
    counts = {}
    for path in folder.glob("counter_*.db"):
        values = MmapedDict.read_all_values_from_file(str(path))
        counts[path.stem] = sum(v for key, v, *_ in values if json.loads(key)[1] == "warden_requests_total")
    return counts


def _wait_workers_started(served: ServedWarden, workers: int, timeout_s: float = 120) -> None:
    end = time.monotonic() + timeout_s
    while served.log().count("Application startup complete") < workers:
        assert time.monotonic() < end, served.log()[-3000:]
        time.sleep(0.2)


def _call(served: ServedWarden, i: int) -> int:
    # A connection per request, so the kernel hands them to whichever worker accepts first.
    response = httpx.post(f"{served.base_url}/v1/chat/completions", timeout=30,
                          headers={"authorization": f"Bearer {served.key}", "connection": "close"},
                          json={"model": "chat-a", "messages": [{"role": "user", "content": f"hello {i}"}]})
    return response.status_code


def test_two_workers_count_into_one_metrics_page(upstream: FakeUpstream, tmp_path: Path) -> None:
    limits = {"backend": "redis", "redis_url": REDIS_URL, "key_prefix": f"test-workers-{uuid.uuid4().hex[:8]}:"}
    config = {"model_list": [deployment("chat-a", upstream)], "limits": limits}
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_99999.db").write_bytes(b"left by an earlier run")
    with served_warden(config, tmp_path, serve_args=("--workers", "2", "--metrics-dir", str(folder))) as served:
        _wait_workers_started(served, 2)
        assert not (folder / "counter_99999.db").exists()
        sent = 0
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(10):  # until both workers have answered some
                assert set(pool.map(lambda i: _call(served, i), range(sent, sent + 40))) == {200}
                sent += 40
                if len([n for n in _per_worker_requests(folder).values() if n > 0]) >= 2:
                    break
        per_worker = _per_worker_requests(folder)
        assert len([n for n in per_worker.values() if n > 0]) == 2, per_worker
        page = httpx.get(f"{served.base_url}/metrics", timeout=10).text
        assert sum(float(v) for v in REQUESTS.findall(page)) == sent == sum(per_worker.values())
