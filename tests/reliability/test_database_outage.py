"""PostgreSQL cut (through a TCP proxy; the shared server keeps running) while the gateway serves: known keys
keep working from the key cache, their usage rows are spooled and replayed once the database is back (none
lost, none twice), keys the cache cannot vouch for get 503 with Retry-After, and no connection is reset."""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from sqlmodel import Session, select

from registry.db import make_engine
from registry.keys import create_key
from registry.tables import UsageRecord
from tests.gateway.conftest import deployment
from tests.reliability.load import Load, chat_call, wait_for
from tests.reliability.tcp_proxy import TcpProxy, tcp_proxy
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import running_gateway
from tests.support.services import temporary_pg_database

USER = [{"role": "user", "content": "hello"}]
CONFIG = {"server": {"key_cache_ttl_s": 0.2, "key_cache_stale_s": 60},
          "usage": {"flush_interval_s": 0.05, "batch_size": 20}}


@pytest.fixture()
def proxied_pg() -> Iterator[tuple[str, str, TcpProxy]]:
    """(direct URL, URL through the proxy, proxy) for a fresh database."""
    with temporary_pg_database() as url, tcp_proxy("127.0.0.1", 5432) as proxy:
        yield url, url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), proxy


def test_known_keys_survive_a_database_outage(proxied_pg: tuple[str, str, TcpProxy], upstream: FakeUpstream,
                                              tmp_path: Path) -> None:
    direct, proxied, proxy = proxied_pg
    config = {"model_list": [deployment("chat-a", upstream)], **CONFIG}
    with running_gateway(config, proxied, {"alpha": {}}, tmp_path) as gw:
        known = gw.client("alpha")
        unchecked_key = create_key(gw.engine, team="alpha")[1]  # valid, but this replica never saw it
        ids = [_call(known)]
        with gw.http() as http:
            admin = {"authorization": f"Bearer {gw.admin_key}"}
            assert http.get("/admin/keys", headers=admin).status_code == 200
            # The first row is written before the cut (a busy machine can take longer than one flush interval).
            wait_for(lambda: gw.gateway.usage.written >= 1, "the first row written before the cut")
            proxy.cut()
            time.sleep(0.3)  # past the key cache's TTL: every lookup now meets the outage
            ids += [_call(known) for _ in range(30)]
            with pytest.raises(openai.APIStatusError) as refused:
                gw.client(key=unchecked_key).chat.completions.create(model="chat-a", messages=USER)
            assert refused.value.status_code == 503 and int(refused.value.response.headers["retry-after"]) >= 1
            assert refused.value.body["code"] == "key_registry_unavailable"
            ids.append(refused.value.response.headers["x-request-id"])  # refused requests get their row too
            # A route that needs the database answers 503 and leaves the keep-alive connection usable.
            down = http.get("/admin/keys", headers=admin)
            assert down.status_code == 503 and down.json()["error"]["code"] == "database_unavailable"
            assert http.get("/metrics").status_code == 200
            assert _same_connection_statuses(gw.base_url, gw.admin_key) == [503, 200]
            wait_for(lambda: gw.gateway.usage.spooled >= len(ids) - 1, "rows spooled during the outage")
            assert gw.gateway.usage.written == 1
            proxy.restore()
            ids.append(_call(known))
        _assert_each_row_once(direct, ids)
        assert not list((tmp_path / "spool").glob("usage-*.jsonl"))


def _same_connection_statuses(base_url: str, admin_key: str) -> list[int]:
    """An answer on a raw keep-alive socket, then a second request on that same socket."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        stream = sock.makefile("rb")
        statuses = []
        for path in ("/admin/keys", "/healthz"):
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {admin_key}\r\n\r\n".encode())
            status_line = stream.readline()
            assert status_line, f"the connection was closed before answering {path}"
            statuses.append(int(status_line.split()[1]))
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            stream.read(length)
        return statuses


def _call(client: openai.OpenAI) -> str:
    raw = client.chat.completions.with_raw_response.create(model="chat-a", messages=USER)
    assert raw.http_response.status_code == 200
    return raw.headers["x-request-id"]


def _assert_each_row_once(url: str, ids: list[str]) -> None:
    engine = make_engine(url)
    try:
        def counts() -> Counter[str]:
            with Session(engine) as session:
                return Counter(session.exec(select(UsageRecord.request_id)))
        wait_for(lambda: set(counts()) >= set(ids), "every row written after recovery")
        assert counts() == Counter(ids)  # 0 lost, 0 duplicated
    finally:
        engine.dispose()




def test_postgres_cut_under_load(proxied_pg: tuple[str, str, TcpProxy], upstream: FakeUpstream,
                                 tmp_path: Path) -> None:
    """Four callers on a known key through a 2 s cut, with a row the database refuses among the spooled
    ones: no 5xx, every answered request's row exactly once after recovery, the refused row quarantined."""
    direct, proxied, proxy = proxied_pg
    config = {"model_list": [deployment("chat-a", upstream)], **CONFIG}
    with running_gateway(config, proxied, {"alpha": {}}, tmp_path) as gw:
        load = Load(chat_call(gw.client("alpha", timeout=30))).start()
        time.sleep(0.5)
        proxy.cut()
        poisoned = UsageRecord(request_id="poisoned", team="alpha")
        poisoned.request_id = None  # type: ignore[assignment]  # NOT NULL: refused once the database is back
        assert gw.loop is not None
        gw.loop.call_soon_threadsafe(gw.gateway.usage.submit, poisoned)
        time.sleep(2.0)
        wait_for(lambda: gw.gateway.usage.spooled > 0, "rows spooled during the cut")
        proxy.restore()
        time.sleep(1.0)
        outcomes = load.stop()
        assert load.statuses().keys() == {200}, load.statuses()
        _assert_each_row_once(direct, [o.request_id for o in outcomes if o.request_id])
        wait_for(lambda: gw.gateway.usage.quarantined == 1, "the refused row quarantined")
        assert not list((tmp_path / "spool").glob("usage-*.jsonl"))
