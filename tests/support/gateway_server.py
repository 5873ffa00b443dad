"""Runs a real Warden (uvicorn on a real socket) in a background thread, for tests that talk to it over
HTTP with the `openai` SDK."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from openai import OpenAI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gateway.app import create_app
from gateway.config import parse_config
from gateway.settings import Settings
from gateway.tracing import Tracing
from registry.db import make_engine
from registry.keys import create_key, create_team
from registry.tables import UsageRecord
from tests.support.migrated import bring_to_head


@dataclass
class RunningGateway:
    base_url: str
    engine: Engine
    admin_key: str
    keys: dict[str, str] = field(default_factory=dict)
    server: uvicorn.Server | None = None
    loop: asyncio.AbstractEventLoop | None = None

    def client(self, team: str | None = None, key: str | None = None, **kwargs: Any) -> OpenAI:
        return OpenAI(
            base_url=self.base_url + "/v1", api_key=key or self.keys[team or "alpha"], max_retries=0, **kwargs
        )

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)

    @property
    def gateway(self) -> Any:
        return self.server.config.app.state.gateway  # type: ignore[union-attr]

    def flush(self) -> None:
        """Write every queued usage row now."""
        asyncio.run_coroutine_threadsafe(self.gateway.usage.flush(), self.loop).result(timeout=30)

    def rows(self, **where: Any) -> list[UsageRecord]:
        self.flush()
        with Session(self.engine) as session:
            query = select(UsageRecord).order_by(UsageRecord.created_at)
            for column, value in where.items():
                query = query.where(getattr(UsageRecord, column) == value)
            return list(session.exec(query))

    def row(self, request_id: str) -> UsageRecord:
        rows = self.rows(request_id=request_id)
        assert len(rows) == 1, f"expected one usage row for {request_id}, found {len(rows)}"
        return rows[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_gateway(
    config: dict[str, Any], database_url: str, teams: dict[str, dict[str, Any]] | None = None, tmp: Path | None = None,
    tracing: Tracing | None = None, monitor_config: Path | None = None, freeze_heap: bool = False,
) -> Iterator[RunningGateway]:
    """`freeze_heap`: the start-up heap freeze of a serving process (Settings.freeze_heap), off here by default:
    over a test process's heap its collection cost 0.2 s a start, hundreds of starts a run."""
    with contextlib.ExitStack() as cleanup:
        if tmp is None:  # never a shared folder: test processes run side by side (pytest-xdist)
            tmp = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="warden-gw-")))
        yield from _serve(cleanup, config, database_url, teams, tmp, tracing, monitor_config, freeze_heap)


def _serve(
    cleanup: contextlib.ExitStack, config: dict[str, Any], database_url: str, teams: dict[str, dict[str, Any]] | None,
    tmp: Path, tracing: Tracing | None, monitor_config: Path | None, freeze_heap: bool,
) -> Iterator[RunningGateway]:
    config = {
        **config,
        "usage": {
            "spool_dir": str(tmp / "spool"),
            "flush_interval_s": 0.05,
            **config.get("usage", {}),
        },
    }
    parsed = parse_config(config, "test-config")
    bring_to_head(database_url)
    engine = make_engine(database_url)
    _, admin = create_key(engine, team=None, role="admin")
    keys = {}
    for team, options in (teams or {"alpha": {}}).items():
        key_options = options.pop("key", {})
        create_team(engine, team, exist_ok=True, **options)
        keys[team] = create_key(engine, team=team, **key_options)[1]
    # Bound here and handed to uvicorn, never closed in between: no other process can take the port meanwhile.
    listener = cleanup.enter_context(socket.socket())
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    settings = Settings(database_url=database_url, port=port, monitor_config_path=monitor_config,
                        freeze_heap=freeze_heap)
    app = create_app(settings, parsed, tracing)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", loop="asyncio", timeout_graceful_shutdown=5
        )
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(sockets=[listener]),), daemon=True)
    thread.start()
    # Generous: the first gateway of a run loads the guardrail models, which takes far longer on a busy machine.
    deadline = time.monotonic() + 180
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gateway did not start")
        time.sleep(0.02)
    running = RunningGateway(f"http://127.0.0.1:{port}", engine, admin, keys, server, loop)
    try:
        yield running
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        engine.dispose()
