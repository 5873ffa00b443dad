"""Checking one case's answer against its assertions; each check returns None (passed) or why it failed."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import orjson

from evals.exchange import Exchange
from evals.suite import (
    Assertion,
    Case,
    Ceiling,
    Contains,
    Equals,
    GuardrailVerdict,
    JsonSchema,
    NotContains,
    Regex,
    Similar,
)

Similarity = Callable[[str, str], float]


def check_all(assertions: Sequence[Assertion], case: Case, ex: Exchange, similarity: Similarity) -> list[str]:
    """Every failed assertion's reason. A failed call fails every assertion on the answer's text."""
    failures = []
    for assertion in assertions:
        if ex.error is not None and not isinstance(assertion, GuardrailVerdict | Ceiling):
            failures.append(f"{_label(assertion)}: no answer ({ex.error})")
            continue
        reason = check(assertion, case, ex, similarity)
        if reason is not None:
            failures.append(f"{_label(assertion)}: {reason}")
    return failures


def check(assertion: Assertion, case: Case, ex: Exchange, similarity: Similarity) -> str | None:
    text = ex.text
    if isinstance(assertion, Equals):
        a, b = (text.strip(), assertion.equals.strip())
        same = a.lower() == b.lower() if assertion.ignore_case else a == b
        return None if same else f"answer {_short(text)!r} != {assertion.equals!r}"
    if isinstance(assertion, Contains | NotContains):
        wanted = assertion.contains if isinstance(assertion, Contains) else assertion.not_contains
        needles = [wanted] if isinstance(wanted, str) else wanted
        hay = text.lower() if assertion.ignore_case else text
        found = [n for n in needles if (n.lower() if assertion.ignore_case else n) in hay]
        if isinstance(assertion, Contains):
            missing = [n for n in needles if n not in found]
            return None if not missing else f"missing {missing!r} in {_short(text)!r}"
        return None if not found else f"found {found!r} in {_short(text)!r}"
    if isinstance(assertion, Regex):
        return None if re.search(assertion.regex, text) else f"no match for /{assertion.regex}/ in {_short(text)!r}"
    if isinstance(assertion, JsonSchema):
        return _json_schema(assertion, text)
    if isinstance(assertion, Similar):
        reference = assertion.similar_to or case.reference
        if reference is None:
            return "no text to compare with: set `similar_to` or the case's `reference`"
        score = similarity(text, reference)
        return None if score >= assertion.min else f"similarity {score:.3f} < {assertion.min:g}"
    if isinstance(assertion, Ceiling):
        return _ceiling(assertion, ex)
    if isinstance(assertion, GuardrailVerdict):
        got = ex.guardrails.get(assertion.guardrail, "passed")
        if got == assertion.verdict:
            return None
        if ex.error is not None and got != "blocked":
            return f"expected {assertion.verdict}, the call failed: {ex.error}"
        return f"expected {assertion.verdict}, got {got}"
    raise TypeError(f"unknown assertion {assertion!r}")


def _json_schema(assertion: JsonSchema, text: str) -> str | None:
    import jsonschema
    from referencing import Registry

    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return f"the answer is not JSON ({exc})"
    # An empty registry: a `$ref` to anything but the schema itself fails instead of being fetched.
    validator_cls = jsonschema.validators.validator_for(assertion.json_schema)
    validator = validator_cls(assertion.json_schema, registry=Registry())
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
    return f"{where}: {errors[0].message}"


def _ceiling(assertion: Ceiling, ex: Exchange) -> str | None:
    if assertion.max_latency_ms is not None and ex.latency_ms > assertion.max_latency_ms:
        return f"latency {ex.latency_ms:.0f} ms > {assertion.max_latency_ms:g} ms"
    if assertion.max_tokens is not None and ex.tokens > assertion.max_tokens:
        return f"{ex.tokens} tokens > {assertion.max_tokens}"
    if assertion.max_cost_usd is not None:
        if ex.cost_usd is None:
            return "cost unknown (no usage row for this request)"
        if ex.cost_usd > assertion.max_cost_usd:
            return f"cost ${ex.cost_usd:.6f} > ${assertion.max_cost_usd:g}"
    return None


def _label(assertion: Assertion) -> str:
    data = assertion.model_dump(exclude_defaults=True)
    key = next(iter(data), type(assertion).__name__)
    return key if key != "guardrail" else f"guardrail {data['guardrail']}={data.get('verdict')}"


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
