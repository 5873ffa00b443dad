"""What `warden serve --workers N` checks before it forks: state that cannot be shared between processes."""

from __future__ import annotations

import click


def check_shared_limits(backend: str, workers: int, per_worker_limits: bool) -> None:
    """The in-process limiter counts in one worker's memory: N workers would each admit the full rate."""
    if backend != "memory" or per_worker_limits:
        return
    raise click.UsageError(
        f"--workers {workers} with limits.backend 'memory': each worker would keep its own counts, so every rate "
        f"limit and budget would admit {workers} times its value. Set `limits: {{backend: redis, redis_url: ...}}` "
        "in the config to share them, or pass --per-worker-limits to accept per-worker limits."
    )
