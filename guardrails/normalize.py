"""Text normalisation shared by detectors: undo the tricks attackers use to slip text past pattern matching.

`normalize` returns several views of one text: `clean` (NFKC, invisible and bidi characters gone, homoglyphs
mapped to ASCII inside Latin text) for models; `folded` (lower case, accents stripped, spacing squeezed) and
`collapsed` (leetspeak and letter-spacing undone) for rules; and `decoded`, the payloads hidden in base64, hex,
rot13, URL encoding or Unicode tag characters, which callers check again as texts of their own.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

Encoding = Literal["base64", "hex", "rot13", "url", "tags"]

# Zero-width, joiners, soft hyphen, word joiner, BOM, and the bidi embedding/override/isolate controls.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
_TAGS = re.compile("[\U000e0000-\U000e007f]+")

# Cyrillic, Greek and other look-alikes of Latin letters (NFKC leaves these alone). Lower and upper case.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
        "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
        "һ": "h", "ӏ": "l", "ɡ": "g", "ɑ": "a", "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ı": "i", "ȷ": "j",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
        "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Һ": "H", "Ӏ": "I",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
        "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    }
)
_CONFUSABLE_CHARS = frozenset(chr(c) for c in _CONFUSABLES)

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l"}
)
_LEET_WORD = re.compile(r"\b(?=[\w@$!|]*[a-z])(?=[\w@$!|]*[0-9@$|])[\w@$!|]{3,}")
# Three or more single letters split by the same one space, dot, dash, underscore or asterisk:
# "i g n o r e", "s.y.s.t.e.m".
_SPACED = re.compile(r"\b[a-z]([ .\-_*])(?:[a-z]\1){1,}[a-z]\b")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r" ?\n[\s]*")

_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX = re.compile(r"(?:\\x|0x)?\b(?:[0-9a-fA-F]{2}[ :]?){8,}\b|(?:\\x[0-9a-fA-F]{2}){6,}")
_URLENC = re.compile(r"%[0-9a-fA-F]{2}")
_COMMON = frozenset(
    "the you and to of is are your that this all any now what with for not ignore instructions please "
    "previous system prompt tell me write say".split()
)
MAX_DECODED = 8


@dataclass(frozen=True, slots=True)
class Decoded:
    """A payload found hidden in the text and decoded, to be checked like any other text."""

    encoding: Encoding
    text: str


@dataclass(frozen=True, slots=True)
class Normalized:
    """Views of one text: `clean` for models, `folded`/`collapsed` for rules, and hidden payloads."""

    clean: str
    folded: str
    collapsed: str
    decoded: tuple[Decoded, ...]

    def rule_views(self) -> tuple[str, ...]:
        """The distinct texts rules should see."""
        return (self.folded,) if self.collapsed == self.folded else (self.folded, self.collapsed)


def _map_confusables(text: str) -> str:
    """Map look-alikes to ASCII only in words that also hold Latin letters, or in mostly-Latin text,
    so genuine Russian or Greek prose is left as it is."""
    if not any(ch in _CONFUSABLE_CHARS for ch in text):
        return text
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(1 for ch in letters if ch.isascii())
    if letters and latin / len(letters) >= 0.5:
        return text.translate(_CONFUSABLES)
    words = re.split(r"(\s+)", text)
    return "".join(w.translate(_CONFUSABLES) if any(c.isascii() and c.isalpha() for c in w) else w for w in words)


def strip(text: str) -> str:
    """NFKC, invisible characters dropped, homoglyphs mapped; spacing untouched."""
    text = unicodedata.normalize("NFKC", text)
    return _map_confusables(_TAGS.sub("", _INVISIBLE.sub("", text)))


def squeeze(text: str) -> str:
    return _NEWLINES.sub("\n", _SPACES.sub(" ", text)).strip()


def clean(text: str) -> str:
    """NFKC, invisible characters dropped, homoglyphs mapped, whitespace squeezed (line breaks kept for rules
    that look at line starts)."""
    return squeeze(strip(text))


def fold(text: str) -> str:
    """Lower case with accents stripped (ß -> ss), for accent-insensitive rules in FR/ES/DE."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def collapse(folded: str) -> str:
    """Undo leetspeak inside words and join letters spelled out one by one; run before spaces are squeezed,
    since "i g n o r e   a l l" tells words apart only by the wider gaps."""
    out = _SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), folded)
    return squeeze(_LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), out))


def _printable(text: str) -> bool:
    if len(text) < 6:
        return False
    good = sum(1 for ch in text if ch.isprintable() or ch in "\n\t")
    letters = sum(1 for ch in text if ch.isalpha() or ch == " ")
    return good / len(text) > 0.95 and letters / len(text) > 0.6


def _english_words(text: str) -> int:
    return sum(1 for w in re.findall(r"[a-z]+", text.lower()) if w in _COMMON)


def _try_base64(token: str) -> str | None:
    raw = token.replace("-", "+").replace("_", "/")
    raw += "=" * (-len(raw) % 4)
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if _printable(text) else None


def _try_hex(token: str) -> str | None:
    digits = re.sub(r"\\x|0x|[ :]", "", token)
    try:
        text = bytes.fromhex(digits).decode("utf-8")
    except ValueError:
        return None
    return text if _printable(text) else None


def find_payloads(text: str) -> tuple[Decoded, ...]:
    """Decode payloads hidden in `text` (NFKC'd, before invisible characters are dropped)."""
    found: list[Decoded] = []
    tags = "".join(chr(ord(ch) - 0xE0000) for m in _TAGS.finditer(text) for ch in m.group(0))
    if _printable(tags.strip()):
        found.append(Decoded("tags", tags.strip()))
    for m in _BASE64.finditer(text):
        decoded = _try_base64(m.group(0))
        if decoded:
            found.append(Decoded("base64", decoded))
    for m in _HEX.finditer(text):
        decoded = _try_hex(m.group(0))
        if decoded:
            found.append(Decoded("hex", decoded))
    if len(_URLENC.findall(text)) >= 3:
        decoded = unquote(text)
        if decoded != text:
            found.append(Decoded("url", decoded))
    rot = codecs.encode(text, "rot13")
    if _english_words(rot) > max(2, 2 * _english_words(text)):
        found.append(Decoded("rot13", rot))
    return tuple(found[:MAX_DECODED])


def normalize(text: str, depth: int = 1) -> Normalized:
    """All views of `text`; payloads are looked for up to `depth` levels of nesting."""
    nfkc = unicodedata.normalize("NFKC", text)
    stripped = strip(nfkc)
    cleaned = squeeze(stripped)
    folded = fold(cleaned)
    payloads = find_payloads(_INVISIBLE.sub("", nfkc)) if depth > 0 else ()
    if depth > 1:
        nested = [d2 for d in payloads for d2 in normalize(d.text, depth - 1).decoded]
        payloads = (payloads + tuple(nested))[:MAX_DECODED]
    return Normalized(clean=cleaned, folded=folded, collapsed=collapse(fold(stripped)), decoded=payloads)


_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")


def sentences(text: str) -> list[str]:
    """Split on sentence ends and line breaks (a cheap splitter: good enough to isolate instructions)."""
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) character span of each sentence `sentences` gives, surrounding whitespace excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*_SENTENCE_END.finditer(text), None]:
        end = cut.start() if cut is not None else len(text)
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            left = start + (len(piece) - len(piece.lstrip()))
            spans.append((left, left + len(stripped)))
        if cut is not None:
            start = cut.end()
    return spans


def windows(text: str, max_chars: int = 400, max_windows: int = 48) -> list[str]:
    """Split a long text into windows of whole sentences (at most `max_chars` each, long sentences cut),
    so a short instruction buried in a long document is embedded on its own instead of being averaged away.
    Beyond `max_windows`, windows are taken evenly across the text to bound the cost."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    for sentence in sentences(text):
        pieces.extend(sentence[i : i + max_chars] for i in range(0, len(sentence), max_chars))
    out: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) > max_chars:
            out.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        out.append(current)
    if len(out) > max_windows:
        step = len(out) / max_windows
        out = [out[int(i * step)] for i in range(max_windows)]
    return out
