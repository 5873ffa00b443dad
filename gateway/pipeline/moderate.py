"""Moderation: Warden's own content-safety and injection detectors over a list of texts, with no upstream call.

The key, the limits and the usage row apply as for any request (`authenticate` -> `enforce_limits` -> the
detectors -> `record_usage`), so the route cannot run the detectors past a key's limits or unrecorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from gateway.errors import BadRequest, ServiceUnavailable
from gateway.pipeline.authenticate import bearer_token
from gateway.pipeline.call_provider import account
from gateway.pipeline.context import RequestContext
from gateway.pipeline.enforce_limits import enforce_limits, estimate_prompt_tokens
from gateway.pipeline.record_usage import record_usage
from gateway.schemas import EmbeddingRequest, parse_request
from guardrails.base import CheckContext, Finding, Segment

if TYPE_CHECKING:
    from gateway.state import Gateway

MODEL = "warden-moderation"
"""The model named in usage rows and answers: whatever the client asked for, Warden's detectors answered."""


class TextInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text"]
    text: str


class ModerationRequest(EmbeddingRequest):
    """OpenAI's moderation request: texts in, no answer out, which is what limits and usage rows read of an
    embeddings request (inputs, `user`). Image inputs are refused: Warden's detectors read text."""

    model: str = Field(default="omni-moderation-latest", min_length=1, max_length=256)
    input: str | list[str] | list[TextInput] = Field(min_length=1)  # type: ignore[assignment]

    def texts(self) -> list[str]:
        if isinstance(self.input, str):
            return [self.input]
        return [item if isinstance(item, str) else item.text for item in self.input]


async def moderate(gw: Gateway, ctx: RequestContext, authorization: str | None, body: bytes) -> list[list[Finding]]:
    """The findings for each input, in order (an empty list: nothing found)."""
    try:
        ctx.principal = await gw.keys.principal(bearer_token(authorization))
        ctx.request = request = _parse(body)
        ctx.model, ctx.payload = MODEL, {"input": request.texts()}
        await enforce_limits(gw, ctx)
        chain = await gw.guardrails.moderation()
        texts = request.texts()
        result = await chain.run([Segment(text, "user", message_index=i) for i, text in enumerate(texts)],
                                 CheckContext())
        ctx.verdicts.extend(result.verdicts)
        account(ctx, estimate_prompt_tokens(request), 0)
        failed = next((v for v in result.verdicts if v.error), None)
        if failed is not None:  # "nothing found" from a detector that did not run would be a false all-clear
            raise ServiceUnavailable(f"the {failed.guardrail!r} detector failed ({failed.error}); retry",
                                     code="detector_failed")
    except BaseException as exc:
        ctx.fail(exc)
        record_usage(gw, ctx)
        raise
    record_usage(gw, ctx)
    found: list[list[Finding]] = [[] for _ in texts]
    for finding in (f for v in result.verdicts for f in v.findings if f.segment is not None):
        found[finding.segment].append(finding)  # type: ignore[index]
    return found


def _parse(body: bytes) -> ModerationRequest:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}", code="invalid_json") from None
    return parse_request(ModerationRequest, data)
