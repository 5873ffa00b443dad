"""Process plumbing for gateway_bench.py: start/stop process groups, wait for health, read memory from /proc.

psutil is not installed, so memory comes from /proc/PID/status (VmRSS now, VmHWM = the process's own peak),
summed over the process and its descendants in case a server forks workers.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A free port: any, or one in `BENCH_PORTS` (`19100-19199`) when a shared machine gives each user a range."""
    low, _, high = os.environ.get("BENCH_PORTS", "0-0").partition("-")
    for port in random.sample(range(int(low), int(high or low) + 1), int(high or low) + 1 - int(low)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']!r}")


def spawn(cmd: list[str], env: dict[str, str], log_path: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session so the whole group (workers included) can be stopped by its id."""
    log = log_path.open("wb")
    return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace_s)


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float, log_path: Path) -> float:
    """Poll ``url`` until it answers 200; returns the seconds it took. Fails fast if the process dies."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url!r} was healthy; log: {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{url!r} not healthy after {timeout_s} s; log: {log_path}")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, found through the ppid field of /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _cpu_ticks(pid: int, reaped_children: bool) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone meanwhile
        return 0
    # After the ")" field 0 is the state: utime, stime, cutime, cstime are fields 11..14.
    ticks = int(fields[11]) + int(fields[12])
    return ticks + int(fields[13]) + int(fields[14]) if reaped_children else ticks


def process_cpu_s(pid: int) -> float:
    """User+system CPU seconds of one process (any user's: /proc/PID/stat is world-readable); 0 once it is gone."""
    return _cpu_ticks(pid, False) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """User+system CPU seconds of the tree, plus what the root's reaped children used (robust to CPU contention)."""
    ticks = sum(_cpu_ticks(current, index == 0) for index, current in enumerate(descendants(pid)))
    return ticks / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class Memory:
    rss_mib: float
    hwm_mib: float
    processes: int


def tree_memory(pid: int) -> Memory:
    pids = descendants(pid)
    rss = sum(_status_kib(p, "VmRSS") for p in pids)
    hwm = sum(_status_kib(p, "VmHWM") for p in pids)
    return Memory(rss_mib=rss / 1024, hwm_mib=hwm / 1024, processes=len(pids))


class PeakSampler:
    """Samples the tree's summed RSS in a thread; catches peaks of short-lived workers that VmHWM would lose."""

    def __init__(self, pid: int, interval_s: float = 0.2) -> None:
        self.pid, self.interval_s = pid, interval_s
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak_mib = max(self.peak_mib, tree_memory(self.pid).rss_mib)
