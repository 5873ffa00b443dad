"""One case's call through the gateway: the request it sends and what came back, errors included."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from evals.cassette import RECORDED_LATENCY
from evals.suite import Case

VERDICTS = {"block": "blocked", "mask": "masked", "flag": "flagged", "annotate": "flagged", "allow": "passed"}


@dataclass(slots=True)
class Exchange:
    """What the gateway answered for a case; `error` is set for any non-2xx answer or transport failure."""

    status: int
    text: str = ""
    body: Any = None
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    request_id: str | None = None
    prompt_commit: str | None = None
    guardrails: dict[str, str] = field(default_factory=dict)
    """Guardrail name -> blocked | masked | flagged | passed."""
    error: str | None = None
    error_code: str | None = None
    cost_usd: float | None = None

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def build_request(case: Case, prompt: str | None, ref: str | None, model: str | None) -> dict[str, Any]:
    """The chat request a case sends: a stored prompt with variables, or plain messages to a model."""
    body: dict[str, Any] = {}
    if prompt is not None and case.variables is not None:
        version = {"version": ref} if ref and _is_sha(ref) else {"label": ref} if ref else {}
        body["model"] = f"prompt:{prompt}"
        body["prompt"] = {"name": prompt, **version, "variables": case.variables}
        body["messages"] = [m.model_dump() for m in case.messages or []]
    else:
        if model is None:
            raise ValueError(f"case {case.id!r} sends messages but no model is set (suite `model:` or --model)")
        body["model"] = model
        body["messages"] = [m.model_dump() for m in case.messages or []]
    if case.documents:
        body["documents"] = list(case.documents)
    return body


def _is_sha(ref: str) -> bool:
    return 7 <= len(ref) <= 40 and all(c in "0123456789abcdef" for c in ref.lower())


async def send(client: httpx.AsyncClient, body: dict[str, Any], timeout_s: float) -> Exchange:
    started = time.perf_counter()
    try:
        response = await client.post("/v1/chat/completions", content=orjson.dumps(body), timeout=timeout_s,
                                     headers={"content-type": "application/json"})
    except httpx.TimeoutException:
        return Exchange(status=0, error=f"timed out after {timeout_s:g} s", error_code="timeout",
                        latency_ms=(time.perf_counter() - started) * 1000)
    except httpx.HTTPError as exc:
        return Exchange(status=0, error=f"cannot reach the gateway: {type(exc).__name__}: {exc}",
                        error_code="connection_error", latency_ms=(time.perf_counter() - started) * 1000)
    return parse_response(response, (time.perf_counter() - started) * 1000)


def parse_response(response: httpx.Response, latency_ms: float) -> Exchange:
    try:
        data = response.json()
    except ValueError:
        data = None
    recorded = response.headers.get(RECORDED_LATENCY)
    out = Exchange(status=response.status_code, body=data, latency_ms=float(recorded) if recorded else latency_ms,
                   request_id=response.headers.get("x-request-id"),
                   prompt_commit=response.headers.get("x-warden-prompt-commit"),
                   guardrails=parse_guardrails(response.headers.get("x-warden-guardrails", "")))
    if response.status_code >= 400 or not isinstance(data, dict):
        error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
        out.error = str(error.get("message") or f"HTTP {response.status_code}")
        out.error_code = error.get("code")
        if out.error_code == "guardrail_violation" and error.get("param"):
            out.guardrails[str(error["param"])] = "blocked"
        return out
    choices = data.get("choices") or [{}]
    out.text = str((choices[0].get("message") or {}).get("content") or "")
    usage = data.get("usage") or {}
    out.prompt_tokens = int(usage.get("prompt_tokens") or 0)
    out.completion_tokens = int(usage.get("completion_tokens") or 0)
    return out


def parse_guardrails(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in header.split(","):
        name, _, action = item.strip().partition("=")
        if name and action in VERDICTS:
            # a guardrail may run on input and output: the strongest verdict wins
            if _rank(VERDICTS[action]) >= _rank(found.get(name, "passed")):
                found[name] = VERDICTS[action]
    return found


def _rank(verdict: str) -> int:
    return ["passed", "flagged", "masked", "blocked"].index(verdict)
