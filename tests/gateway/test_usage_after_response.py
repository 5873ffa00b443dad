"""A whole answer is sent before its usage row, metrics and limit settlement are done (`record_usage`'s
`after_response`): the client does not wait for them, and its next request still finds them done."""

from __future__ import annotations

import re
import threading

import httpx

from tests.gateway.conftest import PRICE_OUT, deployment
from tests.support.fake_upstream import FakeUpstream

USER = [{"role": "user", "content": "hi"}]


def test_the_next_request_finds_the_budget_hold_settled(make_gateway, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    """Each request holds its worst case (300 completion tokens: 0.0006 USD) against a 0.001 USD budget, so two
    holds never fit: back-to-back requests are admitted only if each one's hold was settled to its real cost
    before the next was read."""
    config = {"model_list": [deployment("chat-a", upstream)]}
    assert 2 * 300 * PRICE_OUT > 0.001 >= 300 * PRICE_OUT
    with make_gateway(config, {"alpha": {"key": {"budget_usd": 0.001}}}) as gw:
        client = gw.client()
        for _ in range(6):
            client.chat.completions.create(model="chat-a", messages=USER, max_tokens=300)
        rows = gw.rows()
        assert [r.status_code for r in rows] == [200] * 6
        assert 0 < sum(r.cost_usd for r in rows) < 0.001 - 300 * PRICE_OUT


def test_metrics_and_row_are_done_before_the_next_request(make_gateway, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    config = {"model_list": [deployment("chat-a", upstream)]}
    with make_gateway(config) as gw, httpx.Client(base_url=gw.base_url, timeout=30) as http:
        key = gw.keys["alpha"]
        for n in range(1, 4):
            answer = http.post("/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                               json={"model": "chat-a", "messages": USER})
            assert answer.status_code == 200
            metrics = http.get("/metrics").text  # the same connection: read after the answer's callback ran
            counted = re.search(r'^warden_requests_total\{[^}]*model="chat-a"[^}]*status="ok"[^}]*\} (\S+)$',
                                metrics, re.MULTILINE)
            assert counted is not None and float(counted.group(1)) == n
        row = gw.row(answer.headers["x-request-id"])
        # Timed up to the answer, as the header says: the row's latency covers the overhead the client was told.
        assert row.latency_ms >= float(answer.headers["x-warden-overhead-ms"])
        assert row.cost_usd == float(answer.headers["x-warden-cost-usd"])


def test_a_failed_record_is_logged_without_the_request(make_gateway, upstream: FakeUpstream, monkeypatch,  # type: ignore[no-untyped-def]
                                                        caplog) -> None:
    import importlib

    record_usage = importlib.import_module("gateway.pipeline.record_usage")  # the module, not the step it exports

    called = threading.Event()

    def broken(ctx):  # type: ignore[no-untyped-def]
        called.set()
        raise RuntimeError("row build failed")

    config = {"model_list": [deployment("chat-a", upstream)]}
    secret = "my card is 4111 1111 1111 1111"
    with make_gateway(config) as gw:
        monkeypatch.setattr(record_usage, "usage_row", broken)
        answer = gw.client().chat.completions.with_raw_response.create(
            model="chat-a", messages=[{"role": "user", "content": secret}])
        assert answer.http_response.status_code == 200  # the answer was out before the row was built
        request_id = answer.headers["x-request-id"]
        # The client can read the answer before the server's loop gets to the callback: undo only once it has.
        assert called.wait(10)
        monkeypatch.undo()
        gw.client().chat.completions.create(model="chat-a", messages=USER)  # the loop has run the callback
    logged = [r for r in caplog.records if r.name == "warden.usage" and request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert all(secret not in r.getMessage() and "4111" not in (r.exc_text or "") for r in caplog.records)
