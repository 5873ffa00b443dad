"""Decoding an upstream answer's `content-encoding` (gzip, deflate) as its bytes arrive.

Warden asks for exactly these two (`ACCEPT_ENCODING`), the ones zlib decodes, so any other coding in an answer is a
server ignoring the request: it is passed on undecoded, as aiohttp did. Decoding is incremental so that a
compressed stream still hands each event on as soon as its bytes are in.
"""

from __future__ import annotations

import zlib

ACCEPT_ENCODING = "gzip, deflate"


class Decoder:
    """One answer's decompressor. `deflate` is meant to be zlib-wrapped (RFC 9110), but some servers send raw
    deflate: the first byte tells which (a zlib header's low nibble is 8, the deflate method)."""

    __slots__ = ("_coding", "_inner")

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._inner: zlib._Decompress | None = (
            zlib.decompressobj(16 + zlib.MAX_WBITS) if coding == "gzip" else None)

    def decompress(self, data: bytes) -> bytes:
        """Raises zlib.error on bytes that are not in the coding."""
        if self._inner is None:
            if not data:
                return b""
            raw = data[0] & 0x0F != 8
            self._inner = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        return self._inner.decompress(data)

    def flush(self) -> bytes:
        """What the decompressor still holds once the body is complete."""
        return self._inner.flush() if self._inner is not None else b""


def decoder_for(coding: str | None) -> Decoder | None:
    """The decoder for a `content-encoding` header, or None when there is nothing Warden decodes."""
    if not coding:
        return None
    name = coding.strip().lower()
    if name in ("gzip", "x-gzip"):
        return Decoder("gzip")
    if name == "deflate":
        return Decoder("deflate")
    return None
