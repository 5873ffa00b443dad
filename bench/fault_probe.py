"""Fault probe, long version of tests/reliability/: run by hand from the repository root, prints figures.

    .venv/bin/python bench/fault_probe.py [--only redis,postgres,sigterm] [--pg-outage-s 30] [--redis-fault-s 5]
                                          [--threads 8]

- redis: a redis-server of its own, killed and frozen (SIGSTOP) for --redis-fault-s under load, with
  on_redis_down open and closed: statuses, the longest call and p99 (the breaker should keep calls near
  limits.timeout_s), calls that never returned.
- postgres: PostgreSQL cut for --pg-outage-s through a TCP proxy (the shared server keeps running) under load,
  with one refused row injected: statuses, 5xx, usage rows lost and duplicated after recovery, rows
  quarantined, seconds from restore until every row was in.
- sigterm: a real `warden serve` under load receives SIGTERM: in-flight calls finished, rows flushed.
Needs PostgreSQL on 127.0.0.1:5432 and redis-server on the PATH; everything else runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session, select  # noqa: E402

from registry.db import make_engine  # noqa: E402
from registry.tables import UsageRecord  # noqa: E402
from tests.gateway.conftest import deployment  # noqa: E402
from tests.gateway.limits.limits_support import OwnRedis  # noqa: E402
from tests.reliability.load import Load, Outcome, chat_call, wait_for  # noqa: E402
from tests.reliability.serve_process import served_warden  # noqa: E402
from tests.reliability.tcp_proxy import tcp_proxy  # noqa: E402
from tests.support.fake_upstream import running_upstream  # noqa: E402
from tests.support.gateway_server import running_gateway  # noqa: E402
from tests.support.services import temporary_pg_database  # noqa: E402


def _figures(outcomes: list[Outcome]) -> str:
    times = sorted(o.seconds for o in outcomes)
    p99 = times[int(len(times) * 0.99) - 1] if times else 0.0
    statuses = Counter(o.status for o in outcomes)
    return (f"calls={len(outcomes)} statuses={dict(statuses)} 5xx={sum(v for k, v in statuses.items() if isinstance(k, int) and k >= 500)} "
            f"longest={times[-1] * 1000 if times else 0:.0f}ms p99={p99 * 1000:.0f}ms")


def probe_redis(args: argparse.Namespace, tmp: Path) -> None:
    for mode in ("open", "closed"):
        for fault in ("killed", "frozen"):
            redis = OwnRedis()
            redis.start()
            config = {"model_list": [], "limits": {"backend": "redis", "redis_url": redis.url, "on_redis_down": mode,
                                                   "key_prefix": "warden-probe:", "retry_interval_s": 1.0}}
            with running_upstream() as up:
                config["model_list"] = [deployment("chat-a", up)]
                with running_gateway(config, f"sqlite:///{tmp / f'redis-{mode}-{fault}.db'}",
                                     {"alpha": {"rpm": 10_000_000}}, tmp / f"redis-{mode}-{fault}") as gw:
                    load = Load(chat_call(gw.client("alpha", timeout=30)), threads=args.threads).start()
                    time.sleep(1)
                    before = len(load.outcomes)
                    assert redis.process is not None
                    if fault == "killed":
                        redis.stop()
                    else:
                        redis.process.send_signal(signal.SIGSTOP)
                    time.sleep(args.redis_fault_s)
                    during = load.outcomes[before:]
                    if fault == "frozen":
                        redis.process.send_signal(signal.SIGCONT)
                    time.sleep(1)
                    load.stop()
            redis.stop()
            print(f"redis {fault:6} on_redis_down={mode:6} during fault: {_figures(during)}")
            print(f"{'':31} whole run:    {_figures(load.outcomes)}")


def probe_postgres(args: argparse.Namespace, tmp: Path) -> None:
    with temporary_pg_database() as direct, tcp_proxy("127.0.0.1", 5432) as proxy, running_upstream() as up:
        proxied = direct.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        config = {"model_list": [deployment("chat-a", up)], "server": {"key_cache_ttl_s": 1, "key_cache_stale_s": 300}}
        with running_gateway(config, proxied, {"alpha": {}}, tmp / "pg") as gw:
            load = Load(chat_call(gw.client("alpha", timeout=60)), threads=args.threads).start()
            time.sleep(2)
            proxy.cut()
            poisoned = UsageRecord(request_id="poisoned", team="alpha")
            poisoned.request_id = None  # type: ignore[assignment]
            gw.loop.call_soon_threadsafe(gw.gateway.usage.submit, poisoned)  # type: ignore[union-attr]
            before = len(load.outcomes)
            time.sleep(args.pg_outage_s)
            during = load.outcomes[before:]
            proxy.restore()
            restored = time.monotonic()
            time.sleep(2)
            outcomes = load.stop()
            ids = [o.request_id for o in outcomes if o.request_id]
            engine = make_engine(direct)

            def counts() -> Counter[str]:
                with Session(engine) as session:
                    return Counter(session.exec(select(UsageRecord.request_id)))

            wait_for(lambda: set(counts()) >= set(ids), "rows after recovery", deadline_s=120)
            caught_up = time.monotonic() - restored
            stored, wanted = counts(), Counter(ids)
            lost = sum((wanted - stored).values())
            duplicated = sum((stored - wanted).values())
            engine.dispose()
            print(f"postgres cut {args.pg_outage_s:.0f}s, during: {_figures(during)}")
            print(f"  whole run: {_figures(outcomes)}")
            print(f"  rows: answered={len(ids)} lost={lost} duplicated={duplicated} spooled={gw.gateway.usage.spooled} "
                  f"quarantined={gw.gateway.usage.quarantined} all rows in {caught_up:.1f}s after restore")


def probe_sigterm(args: argparse.Namespace, tmp: Path) -> None:
    with running_upstream() as up:
        config = {"model_list": [deployment("chat-a", up)], "server": {"shutdown_grace_s": 5}}
        (tmp / "sigterm").mkdir()
        with served_warden(config, tmp / "sigterm") as served:
            results: list[Any] = []

            def call(i: int) -> None:
                try:
                    raw = served.client(timeout=60).chat.completions.with_raw_response.create(
                        model="chat-a", messages=[{"role": "user", "content": f"call {i} [[fake:slow=1500]]"}])
                    results.append((raw.http_response.status_code, raw.headers["x-request-id"]))
                except Exception as exc:  # a figure, not a failure of the probe
                    results.append((type(exc).__name__, None))

            threads = [threading.Thread(target=call, args=(i,)) for i in range(args.threads * 4)]
            for thread in threads:
                thread.start()
            # In flight means: the upstream has it (a request still being sent when the server stops listening
            # is refused, which is what shutting down means).
            wait_for(lambda: len(up.requests_to("/chat/completions")) >= len(threads), "all calls upstream")
            served.terminate()
            for thread in threads:
                thread.join(90)
            code = served.wait(90)
            engine = make_engine(served.database_url)
            with Session(engine) as session:
                stored = set(session.exec(select(UsageRecord.request_id)))
            engine.dispose()
            ok = [rid for status, rid in results if status == 200]
            print(f"sigterm under load: in flight={len(threads)} statuses={dict(Counter(s for s, _ in results))} "
                  f"rows flushed={sum(1 for rid in ok if rid in stored)}/{len(ok)} exit={code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="redis,postgres,sigterm")
    parser.add_argument("--pg-outage-s", type=float, default=30.0)
    parser.add_argument("--redis-fault-s", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    probes = {"redis": probe_redis, "postgres": probe_postgres, "sigterm": probe_sigterm}
    with tempfile.TemporaryDirectory(prefix="warden-faults-") as folder:
        for name in args.only.split(","):
            probes[name](args, Path(folder))


if __name__ == "__main__":
    main()
