"""SIGTERM to a real `warden serve` under load: requests in flight finish, their rows are flushed, and a
stream longer than the shutdown grace gets an error event before it is cut, recorded as `shutdown`."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import anthropic
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


def test_stop_waits_for_the_write_in_progress(tmp_path: Path) -> None:
    """At shutdown the server exits right after the app's shutdown: a batch still being written in a thread
    when `stop` returns is lost with the process. `stop` returns once every row is in the database."""
    from sqlalchemy import event

    from registry.migrate import upgrade
    from registry.usage import UsageWriter

    url = f"sqlite:///{tmp_path / 'stop.db'}"
    upgrade(url)
    engine = make_engine(url)

    @event.listens_for(engine, "before_cursor_execute")
    def slow_insert(*_: Any) -> None:
        time.sleep(0.05)  # a busy database: each statement takes a while

    async def scenario() -> int:
        writer = UsageWriter(engine, batch_size=500, flush_interval_s=0.01, spool_dir=tmp_path / "spool")
        await writer.start()
        for i in range(40):
            writer.submit(UsageRecord(request_id=f"stop-{i}", team="alpha"))
        while writer._pending:  # the background task has taken the batch and is writing it
            await asyncio.sleep(0.001)
        await writer.stop()
        event.remove(engine, "before_cursor_execute", slow_insert)
        with Session(engine) as session:
            return len(list(session.exec(select(UsageRecord.id))))

    try:
        assert asyncio.run(scenario()) == 40
    finally:
        engine.dispose()


def test_sigterm_ends_a_native_anthropic_stream_with_an_error_event(upstream: FakeUpstream, tmp_path: Path) -> None:
    claude = {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5",
                                                          "api_base": upstream.base_url, "api_key": "sk-ant-x"}}
    upstream.set_behaviour(reply=LONG, chunk_delay=100)
    with served_warden({"model_list": [claude], "server": {"shutdown_grace_s": 2}}, tmp_path) as served:
        results: dict[str, Any] = {}

        def long_stream() -> None:
            api = anthropic.Anthropic(base_url=served.base_url, api_key=served.key, max_retries=0)
            text = ""
            try:
                with api.messages.stream(model="claude", max_tokens=500,
                                         messages=[{"role": "user", "content": "long"}]) as stream:
                    for piece in stream.text_stream:
                        text += piece
                        results["started"] = True
            except anthropic.APIStatusError as exc:
                results["error"] = str(exc)
            results["text"] = text

        thread = threading.Thread(target=long_stream)
        thread.start()
        end = time.monotonic() + 30
        while "started" not in results and time.monotonic() < end:
            time.sleep(0.02)
        served.terminate()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the stream hung through the shutdown"
        served.wait()
        [row] = _rows(served).values()

    assert upstream.requests_to("/v1/messages") and "shutting down" in results["error"]
    assert 0 < len(results["text"].split()) < 200
    assert (row.status, row.error_type, row.stream) == ("shutdown", "shutting_down", True)
