"""JSON output guardrail: the answer must parse as JSON and, when a schema is given, validate against it.

The schema comes from the request's `response_format` via `context.json_schema` (either the bare schema or
OpenAI's `{"name": ..., "schema": {...}}` wrapper). `response_format: json_object` arrives as the empty schema
`{}`: the answer must then parse as JSON, nothing more. With no schema at all (plain text requested) the
answer is not checked, unless the policy sets `require_json` (a route whose every answer must be JSON).

The schema is the client's: it is validated by `schema_validation` (no reference leaves the document, bounded
size and time) in a worker thread, so no schema can hold the event loop. A schema that cannot be used (a
reference that does not resolve, a validation past `timeout_s`) is a guardrail error: it follows `on_error`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Literal

from pydantic import Field

from guardrails.base import CheckContext, Finding, Guardrail, GuardrailOptions, Mode, Segment, Stage, Verdict
from guardrails.schema_validation import SchemaRefused, check_schema, schema_errors

_FENCE = re.compile(r"```[ \t]*(?:json|JSON|jsonc)?[ \t]*\n(.*?)\n?```", re.DOTALL)
_MAX_MESSAGE = 300


class JsonSchemaOptions(GuardrailOptions):
    mode: Mode = "block"
    require_json: bool = False
    """Require JSON even when the request asked for none (no response_format): for JSON-only routes."""
    on_failure: Literal["block", "flag", "retry"] | None = None
    """Overrides `mode` when set. `retry` blocks with the validation error in `message`; the gateway re-asks."""
    allow_fences: bool = True
    """Accept an answer wrapped in a ```json fence (the fence is not part of the JSON)."""
    timeout_s: float = Field(default=2.0, gt=0, le=30)
    """Time budget of one answer's validation; past it the check is a guardrail error (see `on_error`)."""


def unwrap_schema(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON Schema itself, whether given bare or in OpenAI's response_format wrapper."""
    if raw is None:
        return None
    inner = raw.get("schema")
    if isinstance(inner, dict) and ("name" in raw or "strict" in raw):
        return inner
    return raw


def extract_json_text(answer: str, allow_fences: bool) -> str:
    """The part of the answer that should be JSON: the first fenced block if allowed and present, else all."""
    if allow_fences:
        fence = _FENCE.search(answer)
        if fence is not None:
            return fence.group(1).strip()
    return answer.strip()


def validation_error(answer: str, schema: dict[str, Any] | None, allow_fences: bool,
                     timeout_s: float = 2.0) -> str | None:
    """None when the answer is valid; otherwise a short reason (JSON error or the first schema error).
    Blocking (bounded by `timeout_s`): the guardrail runs it in a worker thread."""
    text = extract_json_text(answer, allow_fences)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"answer is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    if not schema:
        return None
    errors = sorted(schema_errors(schema, document, timeout_s), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return None
    first = errors[0]
    path = "/".join(str(p) for p in first.absolute_path) or "(root)"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"answer does not match the JSON schema at {path}: {first.message}"[:_MAX_MESSAGE] + more


# A few threads of its own: a burst of hostile schemas waits here, not in the loop or the shared executor.
_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="json-schema")


async def _off_loop(answer: str, schema: dict[str, Any] | None, options: JsonSchemaOptions) -> str | None:
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(_WORKERS, validation_error, answer, schema, options.allow_fences, options.timeout_s)
    try:
        # The validator stops itself at its deadline; the wait allows for the queue in front of it.
        return await asyncio.wait_for(future, timeout=options.timeout_s * 4)
    except (TimeoutError, asyncio.TimeoutError):
        raise ValueError(f"JSON schema validation took longer than {options.timeout_s}s") from None
    except SchemaRefused as exc:
        raise ValueError(f"JSON schema in response_format refused: {str(exc)[:_MAX_MESSAGE]}") from None


def _answers(segments: Sequence[Segment], guardrail: Guardrail) -> list[tuple[list[int], str]]:
    """Output segments grouped per message (a message may come as several text parts)."""
    groups: dict[int | None, list[int]] = {}
    for i, segment in enumerate(segments):
        if segment.role == "output" and guardrail.applies_to(segment):
            groups.setdefault(segment.message_index, []).append(i)
    return [(idx, "".join(segments[i].text for i in idx)) for idx in groups.values()]


class JsonSchemaGuardrail(Guardrail):
    """Blocks (or flags, or asks for a retry of) answers that are not valid JSON for the requested schema."""

    name: ClassVar[str] = "json_schema"
    Options: ClassVar[type[GuardrailOptions]] = JsonSchemaOptions
    default_on_error: ClassVar[Literal["block", "allow"]] = "allow"
    stages: ClassVar[tuple[Stage, ...]] = ("output",)
    needs_full_text: ClassVar[bool] = True

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        started = time.perf_counter()
        options: JsonSchemaOptions = self.options  # type: ignore[assignment]
        schema = unwrap_schema(context.json_schema)
        if schema is None and not options.require_json:
            return self.verdict(False, 0.0, started=started)
        if schema:
            try:
                check_schema(schema)
            except SchemaRefused as exc:
                raise ValueError(f"JSON schema in response_format refused: {str(exc)[:_MAX_MESSAGE]}") from None
        findings: list[Finding] = []
        messages: list[str] = []
        for indices, answer in _answers(segments, self):
            error = await _off_loop(answer, schema, options)
            if error is not None:
                findings.append(Finding(kind="json_invalid", score=1.0, segment=indices[0], detail=error))
                messages.append(error)
        verdict = self.verdict(bool(findings), 1.0 if findings else 0.0, findings, started=started,
                               message="; ".join(messages) or None)
        if findings and options.on_failure is not None:
            action = "flag" if options.on_failure == "flag" else "block"
            return Verdict(verdict.guardrail, action, verdict.score, verdict.findings, verdict.latency_ms,
                           None, verdict.message)
        return verdict
