"""Helpers shared by the limiter tests: a movable clock, a throwaway redis-server, a request counter."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence

import pytest
import redis

from gateway.limits.base import Limiter, LimitExceeded, RateRule
from gateway.limits.redis_limiter import RedisLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"
T0 = 1_800_000_000.0
"""A minute boundary (2027-01-15 08:00 UTC), so offsets read as seconds into a window."""


LimiterFactory = Callable[[], Awaitable[Limiter]]


def patient_limiter(
    url: str, clock: Callable[[], float], prefix: str = "warden:", hold_s: float = 900.0
) -> RedisLimiter:
    """A Redis limiter with generous timeouts: these tests check semantics, and a CI machine busy with other
    work must not turn them into outages (the outage tests use the real defaults)."""
    return RedisLimiter(
        url, prefix=prefix, clock=clock, connect_timeout_s=2.0, timeout_s=2.0, deadline_s=4.0, hold_s=hold_s
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own (no persistence), so that outages never touch the shared one."""

    def __init__(self, password: str | None = None, unix_socket: str | None = None) -> None:
        self.port = free_port()
        self.password = password
        self.unix_socket = unix_socket
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--requirepass", self.password] if self.password else []
        args += ["--unixsocket", self.unix_socket] if self.unix_socket else []
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, password=self.password, socket_timeout=0.5, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"redis-server on port {self.port} did not start")
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


async def count_passing(limiter: Limiter, rules: Sequence[RateRule], attempts: int, tokens: int = 0) -> int:
    """How many of `attempts` back-to-back requests the limiter lets through."""
    passed = 0
    for _ in range(attempts):
        try:
            await limiter.acquire(rules, [], tokens, 0.0)
            passed += 1
        except LimitExceeded:
            pass
    return passed
