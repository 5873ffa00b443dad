"""A multipart form (`POST /v1/audio/transcriptions`) read with the standard library's MIME parser, into the JSON
the pipeline parses: its text fields as strings and the one file as base64. Nothing else of the form is kept."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP

import orjson

from gateway.errors import BadRequest


def form_as_json(content_type: str | None, body: bytes, file_field: str = "file") -> bytes:
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise BadRequest(f"the body must be multipart/form-data, got {str(content_type)[:64]!r}",
                         code="invalid_body")
    message = BytesParser(policy=HTTP).parsebytes(b"content-type: " + content_type.encode("latin-1") + b"\r\n\r\n"
                                                   + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise BadRequest("the multipart body could not be read", code="invalid_body")
    fields: dict[str, object] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise BadRequest("a form part has no name", code="invalid_body")
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        if name == file_field:
            fields[name] = {"filename": part.get_filename() or "audio", "data": base64.b64encode(data).decode(),
                            "content_type": part.get_content_type()}
        else:
            fields[name] = data.decode("utf-8", "replace")
    if "temperature" in fields:
        fields["temperature"] = _number(str(fields["temperature"]), "temperature")
    return orjson.dumps(fields)


def _number(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise BadRequest(f"invalid value for {name!r}: {value[:32]!r} is not a number", param=name) from None
