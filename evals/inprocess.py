"""`warden eval run` without `--gateway`: the gateway served inside the CLI's process on an ephemeral port.

It is the real app (`create_app` with the same config and registry), so cases take the same path as in
production: keys, limits, guardrails, prompt resolution, routing, usage rows. The run's key is a short-lived
key created for it and revoked at the end.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from evals.runner import Target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def inprocess_gateway(team: str | None = None) -> Iterator[Target]:
    import uvicorn

    from gateway.app import create_app
    from gateway.settings import Settings
    from registry.db import make_engine
    from registry.keys import RegistryError, create_key, revoke_key
    from registry.migrate import upgrade

    port = _free_port()
    settings = Settings.from_env(host="127.0.0.1", port=port)
    if settings.migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           loop="asyncio", timeout_graceful_shutdown=5))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    row = None
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process gateway did not start (see the log above)")
            time.sleep(0.05)
        # After start-up: the gateway has written the config's teams to the registry by then.
        try:
            row, key = create_key(engine, team=team, role="team" if team else "admin", name="warden-eval",
                                  expires_in=timedelta(hours=6))
        except RegistryError as exc:
            raise ValueError(str(exc)) from None
        yield Target(f"http://127.0.0.1:{port}", key, settings.database_url)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if row is not None:
            revoke_key(engine, row.id)
        engine.dispose()
