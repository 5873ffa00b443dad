"""Image generation, text to speech and transcription in OpenAI's shapes, passed through to OpenAI-compatible deployments (thin
adapters over `pipeline.media`); for the other OpenAI families Warden does not serve, the app's 404 names what it
does serve (`not_served`), rather than an anonymous one."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response

from gateway import pipeline
from gateway.api.deps import gateway_of, new_context, read_body, response_headers
from gateway.api.multipart_form import form_as_json
from gateway.api.openapi_bodies import body_schema
from gateway.errors import NotFound
from gateway.media_schemas import MEDIA_MIME, ImageRequest, SpeechRequest
from gateway.pipeline.context import Endpoint, RequestContext
from gateway.providers.base import RawAnswer, Completion

router = APIRouter(prefix="/v1", tags=["openai"])
SERVED = ("chat/completions, completions, responses, messages, embeddings, moderations, images/generations, "
          "audio/speech, audio/transcriptions, models")
NOT_SERVED = ("files", "batches", "audio/translations", "images/edits", "images/variations", "fine_tuning",
              "assistants", "threads", "vector_stores", "uploads", "realtime")
TRANSCRIPTION_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "model"],
    "properties": {"file": {"type": "string", "format": "binary"}, "model": {"type": "string"},
                   "language": {"type": "string"}, "prompt": {"type": "string"},
                   "response_format": {"type": "string", "enum": ["json", "text", "srt", "verbose_json", "vtt"]},
                   "temperature": {"type": "number", "minimum": 0, "maximum": 1}}}}}}}


@router.post("/images/generations", openapi_extra=body_schema(ImageRequest))
async def image_generations(request: Request) -> Response:
    answer, ctx = await _media(request, "images")
    assert isinstance(answer, Completion)
    return Response(orjson.dumps(answer.body), media_type="application/json", headers=response_headers(ctx))


@router.post("/audio/speech", openapi_extra=body_schema(SpeechRequest))
async def speech(request: Request) -> Response:
    answer, ctx = await _media(request, "speech")
    assert isinstance(answer, RawAnswer)
    # The upstream's type when it names an audio one, else the type of the format asked for.
    wanted = MEDIA_MIME.get(str(ctx.payload.get("response_format") or "mp3"), "audio/mpeg")
    media_type = answer.media_type if answer.media_type.startswith("audio/") else wanted
    return Response(answer.content, media_type=media_type, headers=response_headers(ctx))


@router.post("/audio/transcriptions", openapi_extra=TRANSCRIPTION_FORM)
async def transcriptions(request: Request) -> Response:
    """The form becomes the JSON the pipeline reads; the transcript comes back in the format asked for."""
    answer, ctx = await _media(request, "transcriptions")
    assert isinstance(answer, RawAnswer)
    return Response(answer.content, media_type=answer.media_type, headers=response_headers(ctx))


async def _media(request: Request, endpoint: Endpoint) -> tuple[Completion | RawAnswer, RequestContext]:
    gw = gateway_of(request)
    body = await read_body(request, gw.config.server.max_body_bytes)
    if endpoint == "transcriptions":  # before the context: a form that cannot be read never starts a request
        body = form_as_json(request.headers.get("content-type"), body)
    ctx = new_context(request, endpoint)
    return await pipeline.media(gw, ctx, request.headers.get("authorization"), body), ctx


def not_served(path: str) -> NotFound | None:
    """The 404 of a path in an OpenAI family Warden does not serve (`/v1/files/...`, `/batches`), else None."""
    rest = path.removeprefix("/v1").strip("/")
    family = next((f for f in NOT_SERVED if rest == f or rest.startswith(f + "/")), None)
    if family is None:
        return None
    return NotFound(f"Warden does not serve /{family}; it serves {SERVED} (files and batches are not passed "
                    "through)", code="unsupported_endpoint")
