"""Throughput through wrk (a C load generator, far cheaper on CPU than the Python client) for gateway_bench.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from gw_loadgen import Result, request_body

LUA = Path(__file__).resolve().parent / "wrk_post.lua"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def available() -> bool:
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse(output: str, concurrency: int, duration_s: float) -> Result:
    """Read Requests/sec, the latency distribution and the error lines of ``wrk --latency`` output."""
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)$", output, re.MULTILINE)}
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if total is None or rps is None:
        raise ValueError(f"cannot parse wrk output: {output[-500:]!r}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(g) for g in socket_errors.groups()) if socket_errors else 0
    return Result(
        mode="throughput(wrk)",
        concurrency=concurrency,
        ok=int(total.group(1)) - errors,
        errors=errors,
        elapsed_s=duration_s,
        rps=float(rps.group(1)),
        p50_ms=percentiles.get(50),
        p90_ms=percentiles.get(90),
        p99_ms=percentiles.get(99),
        first_error=(non_2xx.group(0) if non_2xx else None),
    )


def run(url: str, key: str, concurrency: int, duration_s: float, workdir: Path) -> Result:
    body_file = workdir / "wrk_body.json"
    body_file.write_bytes(request_body(stream=False, model="bench-model"))
    env = {**os.environ, "BENCH_KEY": key, "BENCH_BODY_FILE": str(body_file)}
    # One wrk thread: it is cheap enough and leaves the second core to the server under test.
    cmd = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{max(1, int(duration_s))}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(LUA),
        url,
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration_s + 60, check=True)
    return parse(done.stdout, concurrency, duration_s)
