"""The servers gateway_bench.py measures: the fake upstream itself, Warden, and the LiteLLM proxy.

How Warden is launched and how its API key is made live in ``warden_commands`` only: adjust them there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from gw_conversation import WRAP
from gw_procs import free_port, spawn, stop, wait_healthy

REPO = Path(__file__).resolve().parents[1]
PROJECT_PYTHON = REPO / ".venv" / "bin" / "python"
WARDEN_BIN = REPO / ".venv" / "bin" / "warden"
LITELLM_VENV = Path("/tmp/litellm-bench-venv")
LITELLM_VERSION = "1.108.7"
LITELLM_BANNED = {"1.82.7", "1.82.8"}  # compromised releases: never install these
LITELLM_CONFIG = REPO / "bench" / "litellm_config.yaml"
LITELLM_MASTER_KEY = "sk-bench-master"  # must match general_settings.master_key in litellm_config.yaml
UPSTREAM_KEY = "sk-fake"
BENCH_RPM = "100000000"
"""The bench key's rate limit: high enough never to refuse, so every request pays for the limiter's checks."""
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


@dataclass
class Target:
    """A running server under test: where to send requests, with which key, and its process (None: not ours)."""

    name: str
    base_url: str
    key: str
    proc: subprocess.Popen[bytes] | None
    startup_s: float
    log: Path

    def close(self) -> None:
        if self.proc is not None:
            stop(self.proc)


def _base_env() -> dict[str, str]:
    # No DATABASE_URL, proxy or tracing settings leak in from the caller's shell; all traffic stays on 127.0.0.1.
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "HTTP_PROXY", "HTTPS_PROXY"} and not k.startswith("OTEL_")}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


@contextmanager
def serving(name: str, prefix: str) -> Iterator[tuple[Target, Path]]:
    """Target `name` (`floor`, or a Warden target of POLICIES) in front of the fake upstream, in a new work folder
    (`prefix`); both stopped and the folder removed on the way out."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    upstream = start_upstream(workdir, 0)
    target = None
    try:
        target = start_floor(upstream, workdir) if name == "floor" else start_warden(upstream.base_url, workdir, name)
        yield target, workdir
    finally:
        if target is not None:
            target.close()
        upstream.close()
        shutil.rmtree(workdir, ignore_errors=True)


def start_upstream(workdir: Path, latency_ms: int) -> Target:
    port = free_port()
    log = workdir / "upstream.log"
    script = REPO / "tests" / "support" / "fake_upstream.py"
    cmd = [str(PROJECT_PYTHON), str(script), "--port", str(port), "--latency-ms", str(latency_ms)]
    proc = spawn(cmd, _base_env(), log)
    startup = wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, 30, log)
    return Target("upstream", f"http://127.0.0.1:{port}/v1", UPSTREAM_KEY, proc, startup, log)


def start_floor(upstream: Target, workdir: Path) -> Target:
    """The bare relay (bench/floor_relay.py) in front of the same upstream: what Python allows at best."""
    port = free_port()
    log = workdir / "floor.log"
    origin = upstream.base_url.removesuffix("/v1")
    cmd = [str(PROJECT_PYTHON), str(REPO / "bench" / "floor_relay.py"), "--upstream", origin, "--port", str(port)]
    proc = spawn(cmd, _base_env(), log)
    try:
        startup = wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, 30, log)
    except Exception:
        stop(proc)
        raise
    return Target("floor", f"http://127.0.0.1:{port}/v1", upstream.key, proc, startup, log)


@dataclass(frozen=True)
class WardenCommands:
    serve: list[str]
    bootstrap: list[list[str]]
    """Run in order before ``serve``; the API key is the last stdout line of the last one."""
    env: dict[str, str]


def warden_commands(config: Path, port: int, workdir: Path, database_url: str | None = None) -> WardenCommands:
    """The one place that knows Warden's command lines; the registry is a SQLite file in ``workdir`` by default."""
    env = {**_base_env(), "DATABASE_URL": database_url or f"sqlite:///{workdir}/bench.db", "WARDEN_CONFIG": str(config)}
    cli, conf = str(WARDEN_BIN), ["--config", str(config)]
    return WardenCommands(
        serve=[cli, "serve", *conf, "--port", str(port), "--workers", "1"],
        bootstrap=[[cli, "teams", "create", *conf, "bench"],
                   [cli, "keys", "create", *conf, "--team", "bench", "--rpm", BENCH_RPM]],
        env=env,
    )


def _bootstrap_key(commands: WardenCommands, workdir: Path) -> str:
    stdout = ""
    for step in commands.bootstrap:
        done = subprocess.run(step, env=commands.env, cwd=workdir, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(step)!r} failed ({done.returncode}): {done.stderr[-800:]}")
        stdout = done.stdout
    lines = stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{' '.join(commands.bootstrap[-1])!r} printed no key")
    return lines[-1].strip()


INPUT_GUARDRAILS = [
    {"guardrail": "pii", "mode": "mask"},
    {"guardrail": "injection", "mode": "block"},
    {"guardrail": "topics", "mode": "block", "topics": [
        {"name": "credit_decisions", "examples": ["Should we approve this loan application?",
                                                 "Decide whether this customer gets credit."],
         "keywords": ["credit score"]},
        {"name": "hr_decisions", "examples": ["Which of these candidates should we hire?",
                                             "Should this employee be fired?"]},
    ]},
]
POLICIES: dict[str, dict[str, object] | None] = {
    "warden": None,
    # No guardrails, limits kept in Redis (the backend replicas share) instead of this process's memory.
    "warden-redis": None,
    # The same, the key also under a monthly budget (BUDGETED) on a priced deployment: every request holds its
    # worst case and settles its cost.
    "warden-redis-budget": None,
    # Every input guardrail: PII masking, injection detection, topic filter.
    "warden-input": {"input": INPUT_GUARDRAILS},
    # The shipped default policy (PII masked, injection blocked) on a typical four-message chat turn.
    "warden-default": {"input": INPUT_GUARDRAILS[:2]},
    # The same policy on conversations replayed turn by turn, each resending the answers the gateway returned.
    "warden-convo": {"input": INPUT_GUARDRAILS[:2]},
    # The same, every assistant turn checked as if the client wrote it (before returned answers were recognised).
    "warden-convo-checked": {"input": INPUT_GUARDRAILS[:2], "trust_returned_answers": False},
    # The same plus PII masking of the answer (streams released sentence by sentence once checked).
    "warden-guarded": {"input": INPUT_GUARDRAILS, "output": [{"guardrail": "pii", "mode": "mask"}]},
    # No guardrails, tracing on (TRACED).
    "warden-traced": None,
    # No guardrails, the usage policy on (USAGE_POLICY): its step's added latency is this row's minus `warden`'s.
    "warden-policy": None,
    # No guardrails, the native API families (NATIVE): Responses and Anthropic Messages sent as they are.
    "warden-native": None,
    # No guardrails, usage rows queued but never written while it serves (USAGE): `warden` minus logging.
    "warden-nolog": None,
}
USAGE_POLICY: dict[str, dict[str, object]] = {
    "warden-policy": {
        "deployments": {"bench-model": "internal"},
        "markers": [{"name": "internal-label", "pattern": "(?i)\\binternal only\\b", "data_class": "internal"}],
        "unknown_use_case": "flag",
        "attribution": {"notice": True},
    },
}
"""Targets served with a `usage_policy` section: data classes with a marker detector, attribution notices."""
USAGE: dict[str, dict[str, object]] = {"warden-nolog": {"batch_size": 1_000_000, "flush_interval_s": 3600}}
"""Targets with their own `usage` section. `warden-nolog` builds and queues every usage row as `warden` does, but
its writer wakes only for a batch of a million rows or once an hour, so no row is written during a run (they
are all written when the server stops): the difference to `warden` is what writing the rows costs."""
GUARDED = tuple(name for name, policy in POLICIES.items() if policy is not None)
REDIS_LIMITS = ("warden-redis", "warden-redis-budget")
BUDGETED = ("warden-redis-budget",)
"""Targets whose key has a budget far larger than a run can spend (`BENCH_BUDGET_USD`) and whose deployment has
prices (`BENCH_PRICES`), so that budgets are held, checked and settled as in production."""
BENCH_BUDGET_USD = "1000000"
BENCH_PRICES = {"input_cost_per_token": 0.000001, "output_cost_per_token": 0.000002}
TRACED = ("warden-traced",)
"""Targets served with tracing on: every span is exported over OTLP/HTTP to the fake upstream, which answers 404
and drops it, so the spans, their serialisation and the POSTs are paid for without a collector to run."""
NATIVE = ("warden-native",)
"""Targets whose `bench-model` serves the Responses API natively and whose `bench-claude` is an Anthropic deployment
(the fake upstream speaks both): their `responses` and `messages` rows measure the native pass-through."""
API_MODELS: dict[str, dict[str, str]] = {"warden-native": {"messages": "bench-claude"}}
"""The model a target is asked for per API family, when not `bench-model`."""
CHAT_TURN = ("warden-default",)
"""Targets loaded with the four-message chat turn instead of one user message."""
CONVERSATION = ("warden-convo", "warden-convo-checked")
"""Targets loaded with replayed conversations (gw_conversation.py); their upstream wraps its echo in an answer."""


def write_warden_config(upstream_base: str, workdir: Path, name: str = "warden") -> Path:
    config: dict[str, object] = {
        "model_list": [
            {
                "model_name": "bench-model",
                "litellm_params": {"model": "openai/bench-model", "api_base": upstream_base, "api_key": UPSTREAM_KEY},
            }
        ],
    }
    if name in CONVERSATION:
        config["model_list"][0]["litellm_params"]["model"] += f"[[fake:wrap={WRAP}]]"  # type: ignore[index]
    if name in NATIVE:
        config["model_list"][0]["model_info"] = {"supports_native_responses": True}  # type: ignore[index]
        config["model_list"].append({"model_name": "bench-claude", "litellm_params": {  # type: ignore[attr-defined]
            "model": "anthropic/bench-model", "api_base": upstream_base, "api_key": UPSTREAM_KEY}})
    if name in BUDGETED:
        config["model_list"][0]["litellm_params"].update(BENCH_PRICES)  # type: ignore[index]
    if name in REDIS_LIMITS:
        config["limits"] = {"backend": "redis", "redis_url": REDIS_URL, "key_prefix": f"bench-{os.getpid()}:"}
    policy = POLICIES[name]
    if policy is not None:
        config |= {"guardrail_policies": {"bench": policy}, "default_policy": "bench"}
    if name in USAGE_POLICY:
        config["usage_policy"] = USAGE_POLICY[name]
    if name in USAGE:
        config["usage"] = USAGE[name]
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start_warden(upstream_base: str, workdir: Path, name: str = "warden", database_url: str | None = None) -> Target:
    if not WARDEN_BIN.exists():
        raise FileNotFoundError(f"Warden CLI not found at {str(WARDEN_BIN)!r}; install the project into .venv")
    port = free_port()
    workdir = workdir / name
    workdir.mkdir(exist_ok=True)
    commands = warden_commands(write_warden_config(upstream_base, workdir, name), port, workdir, database_url)
    if name in BUDGETED:
        commands.bootstrap[-1] += ["--budget", BENCH_BUDGET_USD]
    if name in TRACED:
        commands.env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = upstream_base.removesuffix("/v1") + "/v1/traces"
    key = _bootstrap_key(commands, workdir)
    log = workdir / "warden.log"
    proc = spawn(commands.serve, commands.env, log, cwd=workdir)
    try:
        startup = wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, 120, log)
    except Exception:
        stop(proc)
        raise
    return Target(name, f"http://127.0.0.1:{port}/v1", key, proc, startup, log)


def litellm_version() -> str | None:
    python = LITELLM_VENV / "bin" / "python"
    if not python.exists():
        return None
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"]
    done = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_litellm_venv() -> str:
    """Create /tmp/litellm-bench-venv with the pinned LiteLLM proxy if it is missing or holds another version."""
    assert LITELLM_VERSION not in LITELLM_BANNED, f"refusing LiteLLM {LITELLM_VERSION!r}"
    if litellm_version() == LITELLM_VERSION:
        return LITELLM_VERSION
    print(f"installing litellm[proxy]=={LITELLM_VERSION} into {LITELLM_VENV} (takes a while)", file=sys.stderr)
    subprocess.run(["python3.11", "-m", "venv", str(LITELLM_VENV)], check=True, timeout=300)
    pip = [str(LITELLM_VENV / "bin" / "pip"), "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True, timeout=600)
    subprocess.run([*pip, f"litellm[proxy]=={LITELLM_VERSION}"], check=True, timeout=1800)
    installed = litellm_version()
    if installed != LITELLM_VERSION:
        raise RuntimeError(f"LiteLLM venv holds version {installed!r}, wanted {LITELLM_VERSION!r}")
    return installed


def start_litellm(upstream_base: str, workdir: Path) -> Target:
    port = free_port()
    env = {**_base_env(), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "FAKE_UPSTREAM_BASE": upstream_base}
    cmd = [
        str(LITELLM_VENV / "bin" / "litellm"),
        "--config",
        str(LITELLM_CONFIG),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
    ]
    log = workdir / "litellm.log"
    proc = spawn(cmd, env, log, cwd=workdir)
    try:
        startup = wait_healthy(f"http://127.0.0.1:{port}/health/liveliness", proc, 180, log)
    except Exception:
        stop(proc)
        raise
    return Target("litellm", f"http://127.0.0.1:{port}/v1", LITELLM_MASTER_KEY, proc, startup, log)
