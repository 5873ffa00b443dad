"""Requests of the media APIs Warden passes through to OpenAI-compatible deployments: image generation and text to
speech. Only OpenAI's documented fields, each validated; any other field is a 400 naming it, so a client reaches
the upstream only through these (the deployment alone chooses the URL and the key)."""

from __future__ import annotations

from typing import ClassVar, Literal

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MediaRequest(BaseModel):
    """What the pipeline needs of a media request: the model, the text the guardrails see, the end user."""

    model_config = ConfigDict(extra="forbid")
    text_fields: ClassVar[tuple[str, ...]]
    """The fields holding text for the model: the input guardrails check them and rewrite them when they mask."""

    model: str = Field(min_length=1, max_length=256)
    user: str | None = Field(default=None, max_length=256)

    def field_texts(self) -> list[tuple[str, str]]:
        return [(name, value) for name in self.text_fields if isinstance(value := getattr(self, name), str)]

    def texts(self) -> list[str]:
        return [text for _, text in self.field_texts()]


class ImageRequest(MediaRequest):
    """`POST /v1/images/generations`."""

    text_fields: ClassVar[tuple[str, ...]] = ("prompt",)
    prompt: str = Field(min_length=1, max_length=32_000)
    n: int | None = Field(default=None, ge=1, le=10)
    size: str | None = Field(default=None, max_length=16)
    quality: Literal["auto", "high", "medium", "low", "hd", "standard"] | None = None
    response_format: Literal["url", "b64_json"] | None = None
    style: Literal["vivid", "natural"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    output_format: Literal["png", "jpeg", "webp"] | None = None
    output_compression: int | None = Field(default=None, ge=0, le=100)
    moderation: Literal["low", "auto"] | None = None


class SpeechRequest(MediaRequest):
    """`POST /v1/audio/speech`: the answer is the audio itself."""

    text_fields: ClassVar[tuple[str, ...]] = ("input", "instructions")
    input: str = Field(min_length=1, max_length=4096)
    voice: str = Field(min_length=1, max_length=64)
    instructions: str | None = Field(default=None, max_length=4096)
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] | None = None
    speed: float | None = Field(default=None, ge=0.25, le=4.0)


class AudioFile(BaseModel):
    """The uploaded audio, carried through the pipeline as base64 (the route reads it from the multipart form)."""

    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=256)
    content_type: str = Field(default="application/octet-stream", max_length=128)
    data: str = Field(min_length=1)

    @field_validator("data")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("must be base64") from None
        return value

    def content(self) -> bytes:
        return base64.b64decode(self.data)


class TranscriptionRequest(MediaRequest):
    """`POST /v1/audio/transcriptions` (a multipart form: `file` and these fields)."""

    text_fields: ClassVar[tuple[str, ...]] = ("prompt",)
    file: AudioFile
    language: str | None = Field(default=None, max_length=16)
    prompt: str | None = Field(default=None, max_length=4096)
    response_format: Literal["json", "text", "srt", "verbose_json", "vtt"] | None = None
    temperature: float | None = Field(default=None, ge=0, le=1)


MEDIA_MIME = {"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac",
              "wav": "audio/wav", "pcm": "audio/pcm"}
"""The content type of each speech format, when the upstream does not say."""
