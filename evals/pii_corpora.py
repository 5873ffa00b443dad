"""The NER corpora of ../shared/datasets/pii as rows of text with character spans (Presidio's format).

Shared by `evals/pii_eval.py` (dev figures) and `evals/train_names.py` (training rows), so both cut the same
held-out splits:

- Europeana (FR/NL/DE newspapers, CC0): the files carry no document or sentence breaks, so they are cut into
  sentences at '.', '!', '?' (at most 48 tokens) and grouped in runs of 40 sentences, one run standing for a
  page; every 6th run (runs 5, 11, 17, ...) is the dev split, never trained on.
- MEDDOCAN (ES clinical, CC BY 4.0): its own train and dev files (split by document upstream); names of
  patients and staff are PERSON, territories, streets and countries LOCATION, hospitals and institutions ORG.
- WikiNEuRal (CC BY-NC-SA): measure only, a fixed sample of each language's val file.

Tokens are joined with one space, so gold spans are exact character offsets of the rebuilt text.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
EUROPEANA = ("europeana_enp_FR.bnf.bio", "europeana_enp_DE.lft.bio", "europeana_enp_DE.onb.bio",
             "europeana_enp_DE.sbb.bio", "europeana_enp_NL.kb.bio")  # fmt: skip
WIKINEURAL = ("fr", "de", "es", "it")
_RUN, _DEV_EVERY, _MAX_SENTENCE = 40, 6, 48
_MEDDOCAN = {
    "NOMBRE_SUJETO_ASISTENCIA": "PERSON", "NOMBRE_PERSONAL_SANITARIO": "PERSON",
    "TERRITORIO": "LOCATION", "CALLE": "LOCATION", "PAIS": "LOCATION",
    "HOSPITAL": "ORGANIZATION", "INSTITUCION": "ORGANIZATION", "CENTRO_SALUD": "ORGANIZATION",
    "CORREO_ELECTRONICO": "EMAIL_ADDRESS", "NUMERO_TELEFONO": "PHONE_NUMBER",
}  # fmt: skip
_BIO = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}


class Span(TypedDict):
    entity_type: str
    start_position: int
    end_position: int


class Row(TypedDict):
    full_text: str
    spans: list[Span]


def from_tokens(tokens: list[str], tags: list[str]) -> Row:
    """One row from tokens and IOB/BIO tags (an I- after O or another type opens an entity)."""
    text_parts: list[str] = []
    spans: list[Span] = []
    offset, open_type = 0, None
    for token, tag in zip(tokens, tags, strict=True):
        start = offset
        text_parts.append(token)
        offset += len(token) + 1
        kind = _BIO.get(tag[2:]) if tag != "O" else None
        if kind and (tag.startswith("B-") or open_type != kind or not spans):
            spans.append({"entity_type": kind, "start_position": start, "end_position": start + len(token)})
        elif kind:
            spans[-1]["end_position"] = start + len(token)
        open_type = kind
    return {"full_text": " ".join(text_parts), "spans": spans}


def _sentences(path: Path) -> Iterator[tuple[list[str], list[str]]]:
    tokens: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) != 2:
            continue
        tokens.append(parts[0])
        tags.append(parts[1] if parts[1][2:] in _BIO or parts[1] == "O" else "O")
        if parts[0] in (".", "!", "?") or len(tokens) >= _MAX_SENTENCE:
            yield tokens, tags
            tokens, tags = [], []
    if tokens:
        yield tokens, tags


def europeana(name: str, data_dir: Path = DEFAULT_DATA, split: str = "dev") -> list[Row]:
    """The train or dev split of one Europeana file (runs of sentences, every 6th run held out)."""
    rows: list[Row] = []
    for index, (tokens, tags) in enumerate(_sentences(data_dir / "pii" / name)):
        dev = (index // _RUN) % _DEV_EVERY == _DEV_EVERY - 1
        if dev == (split == "dev") and len(tokens) >= 3:
            rows.append(from_tokens(tokens, tags))
    return rows


def meddocan(split: str, data_dir: Path = DEFAULT_DATA) -> list[Row]:
    rows: list[Row] = []
    for line in (data_dir / "pii" / f"meddocan_es_{split}.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        spans: list[Span] = [
            {"entity_type": _MEDDOCAN[s["entity_type"]], "start_position": s["start_position"],
             "end_position": s["end_position"]}
            for s in record["spans"] if s["entity_type"] in _MEDDOCAN
        ]  # fmt: skip
        rows.append({"full_text": record["full_text"], "spans": spans})
    return rows


def wikineural(language: str, data_dir: Path = DEFAULT_DATA, sample: int = 1500, seed: int = 13) -> list[Row]:
    """A fixed random sample of WikiNEuRal's val sentences (non-commercial licence: measure only)."""
    rows: list[Row] = []
    tokens: list[str] = []
    tags: list[str] = []
    path = data_dir / "pii" / f"wikineural_{language}_val.conllu"
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        parts = line.split("\t")
        if len(parts) >= 3:
            tokens.append(parts[1])
            tags.append(parts[2] if parts[2][2:] in _BIO else "O")
        elif tokens:
            rows.append(from_tokens(tokens, tags))
            tokens, tags = [], []
    random.Random(seed).shuffle(rows)
    return rows[:sample]
