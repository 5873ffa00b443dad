"""What the fake upstream answers to image generation and text to speech, in OpenAI's shapes."""

from __future__ import annotations

import time
from typing import Any

import orjson

IMAGE_TOKENS = 100
"""Output (image) tokens the fake reports per generated image."""
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
"""A 1x1 PNG, base64."""
SPEECH_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac",
                "pcm": "audio/pcm"}


def image_body(body: dict[str, Any], prompt: str) -> dict[str, Any]:
    """`n` images; usage as gpt-image-1 reports it (prompt words in, `IMAGE_TOKENS` per image out)."""
    n = int(body.get("n") or 1)
    words = len(prompt.split())
    item = {"b64_json": PIXEL} if body.get("response_format") != "url" else {"url": "https://images.invalid/1.png"}
    return {
        "created": int(time.time()),
        "data": [dict(item) for _ in range(n)],
        "usage": {"input_tokens": words, "output_tokens": IMAGE_TOKENS * n, "total_tokens": words + IMAGE_TOKENS * n,
                  "input_tokens_details": {"text_tokens": words, "image_tokens": 0}},
    }


def speech_bytes(body: dict[str, Any]) -> tuple[bytes, str]:
    """The "audio": a marker and the input text, so a test can see what was spoken."""
    return b"FAKEAUDIO:" + str(body.get("input", "")).encode(), SPEECH_TYPES.get(str(body.get("response_format")
                                                                                     or "mp3"), "audio/mpeg")


TRANSCRIPT = "fake transcript ok"
BYTES_PER_AUDIO_TOKEN = 100
"""The fake's audio tokens: one per 100 bytes of the file; models named `whisper...` report seconds (1000 bytes
a second) instead, as whisper-1 does."""


def form_fields(form: Any) -> dict[str, Any]:
    """A parsed multipart form as plain values; the file as {filename, content_type, size, data}."""
    out: dict[str, Any] = {}
    for name, value in form.items():
        if hasattr(value, "file"):
            data = value.file.read()
            out[name] = {"filename": value.filename, "content_type": value.content_type, "size": len(data),
                         "data": data}
        else:
            out[name] = value
    return out


def transcript(fields: dict[str, Any]) -> tuple[bytes, str]:
    size = int((fields.get("file") or {}).get("size") or 0)
    if fields.get("response_format") in ("text", "srt", "vtt"):
        return TRANSCRIPT.encode(), "text/plain"
    if "whisper" in str(fields.get("model")):
        usage: dict[str, Any] = {"type": "duration", "seconds": size / 1000}
    else:
        words = len(str(fields.get("prompt") or "").split())
        audio = size // BYTES_PER_AUDIO_TOKEN
        usage = {"type": "tokens", "input_tokens": audio + words, "output_tokens": len(TRANSCRIPT.split()),
                 "total_tokens": audio + words + len(TRANSCRIPT.split()),
                 "input_token_details": {"audio_tokens": audio, "text_tokens": words}}
    return orjson.dumps({"text": TRANSCRIPT, "usage": usage}), "application/json"
