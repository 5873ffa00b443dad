"""What replicas_bench.py checks behind the balancer besides speed: the shared guarantees, while wrk loads both
replicas with another key.

- rate limit: a key limited to K requests a minute is admitted exactly K times out of 3K; and a key limited to
  `LARGE_RPM`, whose first half the replicas admit on their own views of Redis's counts (local admission), is
  admitted exactly `LARGE_RPM` times out of 1.2x as many, all sent within one minute;
- budget: a key with a budget of B USD, sent many concurrent requests, never spends more than B (the usage rows
  in PostgreSQL say what was spent) and is refused with `budget_exceeded` once B is used up;
- revocation: a key revoked in the registry while both replicas serve it is refused by both within the key
  cache's TTL (`server.key_cache_ttl_s`), and never admitted after it;
- prompt label move and registry rollout (`follow`, set up by replicas_follow.py): after a change made outside
  the replicas, each replica, asked directly, serves the new version within the polling bound and never the old
  one past it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, text

LIMITED_RPM = 50
LARGE_RPM = 2400
BUDGET_USD = 0.0005
BUDGET_REQUESTS = 300
MAX_TOKENS = 20
PRICES = {"input_cost_per_token": 0.000001, "output_cost_per_token": 0.000002}
"""Set on the bench deployment so that a request costs something and a budget can run out."""
KEY_TTL_S = 2.0


def post(port: int, key: str) -> tuple[int, str]:
    """(status, error code or '') of one chat completion through the balancer (a new connection each time, so
    round robin alternates the replicas)."""
    body = json.dumps({"model": "bench-model", "max_tokens": MAX_TOKENS,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body, method="POST",
                                     headers={"authorization": f"Bearer {key}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, str(json.loads(exc.read() or b"{}").get("error", {}).get("code", ""))


def rate_limit(port: int, key: str, rpm: int = LIMITED_RPM, sent: int = 3 * LIMITED_RPM,
               threads: int = 8) -> dict[str, object]:
    if rpm == LARGE_RPM:
        # All within one minute bucket: across a boundary the previous minute's count decays and more may pass.
        into = time.time() % 60
        if into > 30:
            time.sleep(60.5 - into)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = [s for s, _ in pool.map(lambda _: post(port, key), range(sent))]
    return {"rpm": rpm, "sent": len(statuses), "admitted": statuses.count(200), "refused_429": statuses.count(429),
            "seconds": round(time.monotonic() - started, 1), "holds": statuses.count(200) == rpm}


def budget(port: int, key: str, team: str, database_url: str) -> dict[str, object]:
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: post(port, key), range(BUDGET_REQUESTS)))
    time.sleep(1.5)  # the last usage batches land
    engine = create_engine(database_url)
    with engine.connect() as conn:
        spent = float(conn.scalar(text("SELECT coalesce(sum(cost_usd), 0) FROM usage WHERE team = :team"),
                                  {"team": team}) or 0.0)
    engine.dispose()
    refused = sum(1 for status, code in answers if status == 429 and code == "budget_exceeded")
    others = sorted({status for status, _ in answers} - {200, 429})
    return {"budget_usd": BUDGET_USD, "sent": len(answers), "admitted": sum(s == 200 for s, _ in answers),
            "refused_budget": refused, "other_statuses": others, "spent_usd": round(spent, 8),
            "spent_share": round(spent / BUDGET_USD, 3),
            "holds": spent <= BUDGET_USD and refused > 0 and not others}


def revocation(port: int, key: str, revoke: Callable[[], None]) -> dict[str, object]:
    """Ask with `key` every 20 ms for 1 s, revoke it, ask for the TTL and 2 s more."""
    seen: list[tuple[float, int]] = []
    revoked_at = 0.0
    started = time.monotonic()
    while time.monotonic() - started < 1.0 + KEY_TTL_S + 2.0:
        if not revoked_at and time.monotonic() - started >= 1.0:
            revoke()
            revoked_at = time.monotonic()
        status, _ = post(port, key)
        seen.append((time.monotonic() - revoked_at if revoked_at else -1.0, status))
        time.sleep(0.02)
    after = [(t, s) for t, s in seen if t >= 0]
    admitted_after = [t for t, s in after if s == 200]
    late = [s for t, s in after if t > KEY_TTL_S + 0.5]
    return {"key_cache_ttl_s": KEY_TTL_S, "asked": len(seen), "admitted_before": sum(s == 200 for t, s in seen if t < 0),
            "last_admitted_after_revoke_s": round(max(admitted_after), 3) if admitted_after else None,
            "asked_after_ttl": len(late), "holds": bool(late) and all(s == 401 for s in late)
            and all(t <= KEY_TTL_S + 0.5 for t in admitted_after)}


def served(port: int, key: str, model: str, header: str) -> str:
    """The `header` of one answer from the replica on `port` (`error STATUS` when it failed: neither version).
    No max_tokens: a stored prompt sets its own parameters and refuses a caller's."""
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body, method="POST",
                                     headers={"authorization": f"Bearer {key}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.headers.get(header, "")
    except urllib.error.HTTPError as exc:
        return f"error {exc.code}"


def follow(ports: list[int], ask: Callable[[int], str], change: Callable[[], None], old: str, new: str,
           bound_s: float) -> dict[str, object]:
    """Ask each replica directly (its own thread, every 20 ms) for 1 s, make `change`, then ask for `bound_s` and
    2 s more. Per replica: when it first served `new` and last served `old` after the change, and how many answers
    past the bound were `old` (the guarantee: none) or neither version."""
    changed = [0.0]

    def sample(port: int) -> list[tuple[float, str]]:
        seen: list[tuple[float, str]] = []
        started = time.monotonic()
        while time.monotonic() - started < 1.0 + bound_s + 2.0:
            answer = ask(port)
            seen.append((time.monotonic() - changed[0] if changed[0] else -1.0, answer))
            time.sleep(0.02)
        return seen

    with ThreadPoolExecutor(max_workers=len(ports)) as pool:
        futures = [pool.submit(sample, port) for port in ports]
        time.sleep(1.0)
        change()
        changed[0] = time.monotonic()
        samples = [f.result() for f in futures]
    replicas = {}
    for name, seen in zip("abcdefgh", samples, strict=False):
        after = [(t, a) for t, a in seen if t >= 0]
        late = [a for t, a in after if t > bound_s]
        replicas[name] = {
            "old_before": sum(a == old for t, a in seen if t < 0), "asked_after": len(after),
            "first_new_s": next((round(t, 3) for t, a in after if a == new), None),
            "last_old_s": max((round(t, 3) for t, a in after if a == old), default=None),
            "asked_after_bound": len(late), "stale_after_bound": late.count(old),
            "failed_after_bound": sum(a not in (old, new) for a in late)}
    holds = all(r["asked_after_bound"] and not r["stale_after_bound"] and not r["failed_after_bound"]
                for r in replicas.values())
    return {"bound_s": bound_s, "replicas": replicas, "holds": holds}
