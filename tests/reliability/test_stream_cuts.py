"""Streams cut by the client or by the upstream, several at once: none hangs, each leaves exactly one row."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tests.reliability.load import wait_for
from tests.support.gateway_server import RunningGateway

SLOW = "one two three four five six seven eight nine ten [[fake:chunk_delay=100]]"
CUT = "one two three four five six seven eight nine ten [[fake:cut_stream_after=3]] [[fake:chunk_delay=20]]"


def _stream(gw: RunningGateway, content: str, hang_up: bool, seen: dict[str, Any], name: str) -> None:
    body = {"model": "chat-a", "stream": True, "messages": [{"role": "user", "content": content}]}
    headers = {"authorization": f"Bearer {gw.keys['alpha']}"}
    with httpx.Client(base_url=gw.base_url, timeout=30) as http, \
            http.stream("POST", "/v1/chat/completions", json=body, headers=headers) as response:
        seen[name] = {"id": response.headers["x-request-id"], "events": []}
        for line in response.iter_lines():
            if line.startswith("data:"):
                seen[name]["events"].append(line)
                if hang_up:
                    break  # leaving the block closes the connection mid-answer


def test_streams_cut_by_either_side(gw: RunningGateway) -> None:
    seen: dict[str, Any] = {}
    threads = [threading.Thread(target=_stream, args=(gw, SLOW, True, seen, f"client-{i}")) for i in range(5)]
    threads += [threading.Thread(target=_stream, args=(gw, CUT, False, seen, f"upstream-{i}")) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a stream hung"
    ids = {name: info["id"] for name, info in seen.items()}
    assert len(set(ids.values())) == 10

    def settled() -> bool:
        rows = {r.request_id: r for r in gw.rows(stream=True)}
        return all(i in rows and rows[i].status != "ok" for i in ids.values())

    wait_for(settled, "a row for every cut stream")
    rows = gw.rows(stream=True)
    for name, request_id in ids.items():
        [row] = [r for r in rows if r.request_id == request_id]
        if name.startswith("client"):
            assert (row.status, row.status_code) == ("cancelled", 499)
        else:
            assert (row.status, row.error_type) == ("error", "upstream_error")
            assert '"error"' in seen[name]["events"][-1]  # the client was told, not left waiting
