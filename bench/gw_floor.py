"""Warden against the `floor` relay measured in the same run (issue targets: >= 50% of the floor's rps at c=16,
<= 0.5 ms added p50 at c=1, <= 0.5 ms added streaming TTFT; CPU ms per request beside each)."""

from __future__ import annotations

from typing import Any

RPS_SHARE = 0.5
ADDED_P50_MS = 0.5
ADDED_TTFT_MS = 0.5


def compare(results: dict[str, dict[str, Any]]) -> list[str]:
    """One line per Warden row: its share of the floor's rps, its added p50 and TTFT, CPU ms/req of both."""
    floor, upstream = results.get("floor"), results.get("upstream")
    if floor is None:
        return []
    lines = []
    floor_rps = floor["throughput"]["rps"]
    up_ttft = upstream["stream_c1"]["ttft_p50_ms"] if upstream else None
    for name, row in results.items():
        if not name.startswith("warden") or "/" in name:
            continue
        share = row["throughput"]["rps"] / floor_rps if floor_rps else None
        added = row.get("added_p50_ms")
        ttft = row["stream_c1"]["ttft_p50_ms"]
        added_ttft = ttft - up_ttft if ttft is not None and up_ttft is not None else None
        verdicts = [
            _verdict("rps share of floor", share, RPS_SHARE, ">="),
            _verdict("added p50 ms", added, ADDED_P50_MS, "<="),
            _verdict("added TTFT ms", added_ttft, ADDED_TTFT_MS, "<="),
        ]
        mine, theirs = row["throughput"]["server_cpu_ms_per_req"], floor["throughput"]["server_cpu_ms_per_req"]
        cpu = f"CPU/req {mine} ms vs floor {theirs} ms"
        lines.append(f"{name} vs floor: " + "; ".join(verdicts) + f"; {cpu}")
    return lines


def _verdict(label: str, value: float | None, target: float, sense: str) -> str:
    if value is None:
        return f"{label} -"
    met = value >= target if sense == ">=" else value <= target
    return f"{label} {value:.3f} (target {sense} {target:g}) {'MET' if met else 'MISSED'}"
