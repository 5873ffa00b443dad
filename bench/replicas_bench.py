"""Warden scaled out on one machine, all on one PostgreSQL and one Redis (limits.backend: redis):

- `workers1`, `workers2`: one `warden serve --workers N` (rps per core = rps / min(N, cores));
- `replicas2`: two `warden serve --workers 1` behind bench/tcp_balancer.py (round robin per connection).

Per mode: rps and p50/p99 at c=16 with wrk, the servers' CPU ms per request, and (replicas2) whether the shared
guarantees hold across both replicas while wrk keeps loading them: a rate limit, a budget and a key revocation
(bench/replicas_checks.py), a prompt label move and registry rollouts (bench/replicas_follow.py). Usage rows written per second are read back from PostgreSQL. Loopback only; every run
is bounded in time.

    .venv/bin/python bench/replicas_bench.py [--modes workers1,workers2,replicas2] [--duration 10]
        [--db-prefix warden_bench]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from sqlalchemy import create_engine

import gw_pg
import gw_targets
import gw_wrk
import replicas_checks as checks
import replicas_follow as follow
from gw_procs import free_port, spawn, stop, tree_cpu_s, wait_healthy
from registry.db import make_engine
from registry.keys import revoke_key

MODES = ("workers1", "workers2", "replicas2")


def _config(upstream: gw_targets.Target, workdir: Path) -> Path:
    path = gw_targets.write_warden_config(upstream.base_url, workdir, "warden")
    config = yaml.safe_load(path.read_text())
    config["limits"] = {"backend": "redis", "redis_url": gw_targets.REDIS_URL,
                        "key_prefix": f"bench-replicas-{uuid.uuid4().hex[:8]}:"}
    config["model_list"][0]["litellm_params"].update(checks.PRICES)
    config["server"] = {"key_cache_ttl_s": checks.KEY_TTL_S}
    config["model_list"] += follow.deployments(upstream.base_url, gw_targets.UPSTREAM_KEY)
    config.update(follow.config_sections(workdir / "prompts"))
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _cli(env: dict[str, str], workdir: Path, *args: str) -> list[str]:
    done = subprocess.run([str(gw_targets.WARDEN_BIN), *args], env=env, cwd=workdir, capture_output=True,
                          text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"warden {' '.join(args)} failed: {done.stderr[-800:]}")
    return done.stdout.strip().splitlines()


def _key(env: dict[str, str], workdir: Path, config: Path, team: str, *options: str) -> tuple[str, str]:
    """(key id, plain key) of a new key: `keys create` names the id on its first line, the key on its last."""
    lines = _cli(env, workdir, "keys", "create", "--config", str(config), "--team", team, *options)
    return lines[0].split(" key ", 1)[1].split()[0], lines[-1].strip()


def _checks(front: int, ports: list[int], keys: dict[str, tuple[str, str]], url: str, args: argparse.Namespace,
            workdir: Path, commits: tuple[str, str]) -> dict[str, object]:
    """The shared guarantees, checked while wrk loads both replicas with the unlimited key."""
    engine = make_engine(url)
    with ThreadPoolExecutor(max_workers=1) as background:
        load = background.submit(gw_wrk.run, f"http://127.0.0.1:{front}/v1/chat/completions", keys["bench"][1],
                                 args.concurrency, 90, workdir)
        time.sleep(1.0)
        out: dict[str, object] = {"limit": checks.rate_limit(front, keys["limited"][1]),
                                  "large_limit": checks.rate_limit(front, keys["large"][1], checks.LARGE_RPM,
                                                                   checks.LARGE_RPM * 6 // 5, 16),
                                  "budget": checks.budget(front, keys["budget"][1], "budgeted", url),
                                  "revocation": checks.revocation(front, keys["revoked"][1],
                                                                  lambda: revoke_key(engine, keys["revoked"][0]))}
        out.update(follow.run(ports, keys["bench"][1], workdir / "prompts", *commits, engine))
        loaded = load.result()
    engine.dispose()
    out["load_during_checks"] = {"rps": loaded.rps, "p99_ms": loaded.p99_ms, "errors": loaded.errors}
    return out


def _serve(config: Path, env: dict[str, str], workdir: Path, workers: int,
           tag: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [str(gw_targets.WARDEN_BIN), "serve", "--config", str(config), "--port", str(port), "--workers", str(workers),
           "--metrics-dir", str(workdir / f"metrics-{tag}")]
    log = workdir / f"serve-{tag}.log"
    proc = spawn(cmd, env, log, cwd=workdir)
    wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, 180, log)
    time.sleep(3 if workers > 1 else 0.5)  # the other workers finish starting
    return proc, port


def run_mode(mode: str, args: argparse.Namespace, upstream: gw_targets.Target, workdir: Path) -> dict[str, object]:
    db = gw_pg.create_database(args.db_prefix)
    url = gw_pg.database_url(db)
    counter = create_engine(url)
    env = {**gw_targets._base_env(), "DATABASE_URL": url}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        commits = follow.prompt_repo(workdir / mode / "prompts")
        config = _config(upstream, workdir / mode)
        for team in ("bench", "budgeted"):
            _cli(env, workdir / mode, "teams", "create", "--config", str(config), team)
        registry = make_engine(url)
        follow.register_rollout(registry, "bench")
        registry.dispose()
        keys = {"bench": _key(env, workdir / mode, config, "bench", "--rpm", gw_targets.BENCH_RPM),
                "limited": _key(env, workdir / mode, config, "bench", "--rpm", str(checks.LIMITED_RPM)),
                "large": _key(env, workdir / mode, config, "bench", "--rpm", str(checks.LARGE_RPM)),
                "budget": _key(env, workdir / mode, config, "budgeted", "--budget", str(checks.BUDGET_USD)),
                "revoked": _key(env, workdir / mode, config, "bench")}
        key = keys["bench"][1]
        if mode == "replicas2":
            ports = []
            for tag in ("a", "b"):
                proc, port = _serve(config, env, workdir / mode, 1, tag)
                procs.append(proc)
                ports.append(port)
            front = free_port()
            balancer = [str(gw_targets.PROJECT_PYTHON), str(Path(__file__).with_name("tcp_balancer.py")),
                        "--port", str(front), *sum((["--backend", f"127.0.0.1:{p}"] for p in ports), [])]
            procs.append(spawn(balancer, env, workdir / mode / "balancer.log"))
            time.sleep(1.0)
        else:
            proc, front = _serve(config, env, workdir / mode, int(mode[-1]), "one")
            procs.append(proc)
        servers = procs[:2] if mode == "replicas2" else procs
        rows_before = gw_pg.usage_rows(counter)
        cpu_before = sum(tree_cpu_s(p.pid) for p in servers)
        started = time.monotonic()
        result = gw_wrk.run(f"http://127.0.0.1:{front}/v1/chat/completions", key, args.concurrency, args.duration,
                            workdir)
        cpu = sum(tree_cpu_s(p.pid) for p in servers) - cpu_before
        time.sleep(1.5)  # the last usage batches land
        rows = gw_pg.usage_rows(counter) - rows_before
        out: dict[str, object] = {
            "rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "errors": result.errors,
            "cpu_ms_per_req": round(cpu * 1000 / max(1, result.ok), 3),
            "usage_rows_per_s": round(rows / (time.monotonic() - started), 1), "usage_rows": rows,
            "requests": result.ok + result.errors,
        }
        if mode == "replicas2":
            out.update(_checks(front, ports, keys, url, args, workdir / mode, commits))
        return out
    finally:
        for proc in procs:
            stop(proc)
        counter.dispose()
        gw_pg.drop_database(db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--db-prefix", default="warden_bench", help="name prefix of the throw-away PostgreSQL database")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if set(modes) - set(MODES):
        parser.error(f"--modes: known modes are {list(MODES)!r}")
    if not gw_wrk.available():
        sys.exit("wrk is needed: apt-get install -y wrk")
    workdir = Path(tempfile.mkdtemp(prefix="replicas-bench-"))
    load = Path("/proc/loadavg").read_text().split()[:3]
    upstream = gw_targets.start_upstream(workdir, 0)
    results = {}
    try:
        for mode in modes:
            (workdir / mode).mkdir()
            results[mode] = run_mode(mode, args, upstream, workdir)
            print(mode, json.dumps(results[mode]), flush=True)
    finally:
        upstream.close()
    print(f"load average before {' '.join(load)}, after {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
