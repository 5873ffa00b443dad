"""Message content on a request's span, for guardrail policies that allow it (`trace_content: true`): the request's
messages and the answer as the GenAI conventions' `gen_ai.input.messages` / `gen_ai.output.messages` attributes,
PII-masked first, exactly as the exchange log masks them (`<ENTITY_TYPE>`, nothing reversible).

Masking runs the PII models, so it happens on a worker thread after the response is sent; the span is ended then
with the end time it had when the request finished, so its duration is the request's, not the masking's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence

from opentelemetry.trace import Span

from gateway.exchange_masking import PayloadMasker

log = logging.getLogger("warden.tracing")
MAX_ATTRIBUTE_CHARS = 32_000  # what tracing backends keep of an attribute; longer content is cut, marked as cut
_pending: set[asyncio.Task[None]] = set()


def end_with_content(span: Span, masker: PayloadMasker, messages: object, answers: Sequence[str]) -> None:
    """End `span` once the masked content is set on it (in the background; the caller does not wait)."""
    ended_at = time.time_ns()
    task = asyncio.get_running_loop().create_task(_finish(span, masker, messages, list(answers), ended_at))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _finish(span: Span, masker: PayloadMasker, messages: object, answers: list[str], ended_at: int) -> None:
    try:
        masked_messages, masked_answers = await asyncio.to_thread(masker.mask_values, [messages, answers])
        span.set_attribute("gen_ai.input.messages", _clipped(masked_messages))
        span.set_attribute("gen_ai.output.messages", _clipped(
            [{"role": "assistant", "content": text} for text in masked_answers]))  # type: ignore[union-attr]
    except Exception as exc:  # never the raw text: without masking, the span goes without content
        log.warning("span content not recorded: %s", type(exc).__name__)
        span.set_attribute("warden.content_omitted", type(exc).__name__)
    finally:
        span.end(end_time=ended_at)


def _clipped(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_ATTRIBUTE_CHARS else text[:MAX_ATTRIBUTE_CHARS] + "...<CUT>"


async def drain() -> None:
    """Wait for spans still being masked (at shutdown, before the exporter flushes)."""
    if _pending:
        await asyncio.gather(*_pending, return_exceptions=True)
