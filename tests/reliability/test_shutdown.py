"""SIGTERM to a real `warden serve` under load: requests in flight finish, their rows are flushed, and a
stream longer than the shutdown grace gets an error event before it is cut, recorded as `shutdown`."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import openai
from sqlmodel import Session, select

from registry.db import make_engine
from registry.tables import UsageRecord
from tests.gateway.conftest import deployment
from tests.reliability.serve_process import ServedWarden, served_warden
from tests.support.fake_upstream import FakeUpstream

LONG = " ".join(f"w{i}" for i in range(200))


def _rows(served: ServedWarden) -> dict[str, UsageRecord]:
    engine = make_engine(served.database_url)
    try:
        with Session(engine) as session:
            return {r.request_id: r for r in session.exec(select(UsageRecord))}
    finally:
        engine.dispose()


def test_sigterm_finishes_in_flight_requests_and_ends_long_streams(upstream: FakeUpstream, tmp_path: Path) -> None:
    config = {"model_list": [deployment("chat-a", upstream)], "server": {"shutdown_grace_s": 3}}
    with served_warden(config, tmp_path) as served:
        results: dict[str, Any] = {}

        def short_call(i: int) -> None:
            raw = served.client().chat.completions.with_raw_response.create(
                model="chat-a", messages=[{"role": "user", "content": f"short {i} [[fake:slow=1000]]"}])
            results[f"short-{i}"] = (raw.http_response.status_code, raw.headers["x-request-id"])

        def long_stream() -> None:
            raw = served.client().chat.completions.with_raw_response.create(
                model="chat-a", stream=True,
                messages=[{"role": "user", "content": f"long [[fake:reply={LONG}]] [[fake:chunk_delay=100]]"}])
            results["stream-id"] = raw.headers["x-request-id"]
            text = ""
            try:
                for chunk in raw.parse():
                    text += "".join(c.delta.content or "" for c in chunk.choices)
                    results["stream-started"] = True
            except openai.APIError as exc:
                results["stream-error"] = exc.message
            results["stream-text"] = text

        threads = [threading.Thread(target=short_call, args=(i,)) for i in range(8)]
        threads.append(threading.Thread(target=long_stream))
        for thread in threads:
            thread.start()
        end = time.monotonic() + 30
        while "stream-started" not in results and time.monotonic() < end:
            time.sleep(0.02)
        time.sleep(0.2)  # the short calls are now in flight upstream
        served.terminate()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a call hung through the shutdown"
        served.wait()
        rows = _rows(served)

    assert [results[f"short-{i}"][0] for i in range(8)] == [200] * 8
    assert all(rows[results[f"short-{i}"][1]].status == "ok" for i in range(8))
    assert "shutting down" in results["stream-error"]
    assert 0 < len(results["stream-text"].split()) < 200
    stream_row = rows[results["stream-id"]]
    assert (stream_row.status, stream_row.error_type, stream_row.stream) == ("shutdown", "shutting_down", True)
    assert stream_row.completion_tokens > 0
    assert len(rows) == 9
