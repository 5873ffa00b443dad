"""A real `warden serve` in a subprocess (its own process group), on an ephemeral port, for signal tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from openai import OpenAI

from registry.db import make_engine
from registry.keys import create_key, create_team
from registry.migrate import upgrade

_LISTENING = re.compile(rb"Uvicorn running on http://127\.0\.0\.1:(\d+)")


@dataclass
class ServedWarden:
    proc: subprocess.Popen[bytes]
    base_url: str
    database_url: str
    key: str
    log_path: Path

    def client(self, **kwargs: Any) -> OpenAI:
        return OpenAI(base_url=self.base_url + "/v1", api_key=self.key, max_retries=0, **kwargs)

    def terminate(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)

    def wait(self, timeout_s: float = 60) -> int:
        return self.proc.wait(timeout=timeout_s)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def served_warden(config: dict[str, Any], tmp: Path, database_url: str | None = None,
                  serve_args: tuple[str, ...] = ()) -> Iterator[ServedWarden]:
    url = database_url or f"sqlite:///{tmp / 'served.db'}"
    upgrade(url)
    engine = make_engine(url)
    create_team(engine, "alpha", exist_ok=True)
    _, key = create_key(engine, team="alpha")
    engine.dispose()
    config = {**config, "usage": {"spool_dir": str(tmp / "spool"), "flush_interval_s": 0.05,
                                  **config.get("usage", {})}}
    config_path = tmp / "served.yaml"
    config_path.write_text(yaml.safe_dump(config))
    log_path = tmp / "served.log"
    env = {**os.environ, "WARDEN_MIGRATE": "0", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    command = [sys.executable, "-c", "from gateway.cli import main; main()", "serve", "--config", str(config_path),
               "--database-url", url, "--port", "0", *serve_args]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                cwd=Path(__file__).resolve().parents[2])
    try:
        port = _wait_listening(proc, log_path)
        served = ServedWarden(proc, f"http://127.0.0.1:{port}", url, key, log_path)
        yield served
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _wait_listening(proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float = 120) -> int:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        found = _LISTENING.search(log_path.read_bytes())
        if found:
            port = int(found.group(1))
            try:  # several workers: the port is bound and logged before a worker listens on it
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                    return port
            except httpx.ConnectError:
                pass
        if proc.poll() is not None:
            raise RuntimeError(f"warden serve exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    raise TimeoutError(f"warden serve did not start:\n{log_path.read_text()[-3000:]}")
