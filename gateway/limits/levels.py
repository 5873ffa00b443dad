"""What a key's rate limits have left, as OpenAI's `x-ratelimit-*` response headers (shared by both limiters).

For each unit (requests, tokens) the headers describe the tightest rule that limits it, the one with the least
left, among the rules the request was charged to (key, team, model, end user). A refused request reports the
rule that refused it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gateway.limits.base import RateLevel, RateRule
from gateway.limits.window import left, reset_s

Counts = tuple[float, float, float, float]
"""A rule's bucket counts after the charge: previous and current requests, previous and current tokens."""


def rate_levels(rates: Sequence[RateRule], counts: Iterable[Counts], fraction: float,
                window_s: float) -> tuple[RateLevel, ...]:
    return tuple(
        RateLevel(rule,
                  requests_left=None if rule.rpm is None else left(pn, cn, fraction, rule.rpm),
                  tokens_left=None if rule.tpm is None else left(pt, ct, fraction, rule.tpm),
                  requests_reset_s=reset_s(pn, cn, fraction, window_s),
                  tokens_reset_s=reset_s(pt, ct, fraction, window_s))
        for rule, (pn, cn, pt, ct) in zip(rates, counts, strict=True)
    )


def rate_headers(levels: Iterable[RateLevel]) -> dict[str, str]:
    levels = list(levels)
    headers: dict[str, str] = {}
    for unit, limit_field, left_field, reset_field in (("requests", "rpm", "requests_left", "requests_reset_s"),
                                                        ("tokens", "tpm", "tokens_left", "tokens_reset_s")):
        known = [lv for lv in levels
                 if getattr(lv.rule, limit_field) is not None and getattr(lv, left_field) is not None]
        if not known:
            continue
        tightest = min(known, key=lambda lv: getattr(lv, left_field))
        headers[f"x-ratelimit-limit-{unit}"] = str(getattr(tightest.rule, limit_field))
        headers[f"x-ratelimit-remaining-{unit}"] = str(getattr(tightest, left_field))
        headers[f"x-ratelimit-reset-{unit}"] = f"{getattr(tightest, reset_field):.3f}s"
    return headers
