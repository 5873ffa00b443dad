"""The injection model's training and dev cases, built reproducibly from `injection_sources`.

Direct cases are prompts in the user role. Document and tool cases are benign carriers (e-mails, tables, code
answers, tool results, passages) left clean, given one planted attack, or given one benign order to the reader
("reply by Friday", "ignore my previous e-mail"): the model must learn that the order to the *assistant* is
the attack, not the imperative mood. The dev split is chosen by group (the source document, or the attack
string), never by row: a dev document is an unseen carrier holding an unseen attack. Training documents are
cropped to a window around the insertion, the size the model reads; dev documents stay whole, and the
detector windows them as it does in production.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.injection_sources import (
    DATA_DIR,
    OWN_DATA,
    Carrier,
    Insert,
    Prompt,
    carriers,
    direct_prompts,
    eu_inserts,
    inserts,
    multilingual_carriers,
    own_prompts,
    slot_defaults,
)

SEED = 20261202
# One group in ten calibrates the thresholds, another one in ten is the dev split the eval reports on.
SPLITS = {0: "calib", 5: "dev"}
# Carriers per source (the largest sets are subsampled: the budget is a CPU fine-tune of well under an hour).
CARRIER_CAP = {"bipia_table": 300, "enron": 450, "summedits": 300, "halueval": 250, "vigogne_doc": 200,
               "europeana_de": 200, "europeana_fr": 150, "europeana_nl": 150, "meddocan": 150}
EU_PLANTED_PER_SOURCE = 60  # carriers per source that get one of the project's EU-language inserts
PROMPT_CAP = {"wildguard": 450, "inthewild": 300, "cse_direct": 700}
TRAIN_CROP = (250, 900)  # characters of document context a training case keeps around the insertion
DEV_MAX_CHARS = 6000
# BIPIA's text attacks ("add a sentence to your answer...") are benign as the user's own request and injections
# when planted in a document: the role is what differs, so they are user negatives too.
# CyberSecEval variants whose text is an attack only next to its test's system prompt (not as a planted order).
CONTEXT_BOUND = ("overload_with_information", "many_shot_attack", "few_shot_attack", "repeated_token_attack",
                 "payload_splitting", "different_user_input_language", "hypothetical_scenario")
WRAPPERS = ("{a}", "{a}", "{a}", "\n\n{a}\n\n", "P.S. {a}", "Note: {a}", "<!-- {a} -->", "[{a}]", "IMPORTANT: {a}",
            "--\n{a}", "({a})")


@dataclass(frozen=True, slots=True)
class Case:
    """One model input: role, the user's request (may be empty), the text, the label, and where it came from."""

    source: str
    role: str
    request: str
    text: str
    label: int
    split: str
    span: tuple[int, int] | None = None
    """Where the planted sentence sits in `text` (training documents), so training reads the window holding it."""


def split_of(group: str) -> str:
    digest = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16)
    return SPLITS.get(digest % 10, "train")


def _boundaries(text: str) -> list[int]:
    cuts = [0, len(text)]
    cuts += [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    cuts += [i + 2 for i in range(len(text) - 1) if text[i] in ".!?" and text[i + 1] == " "]
    return sorted(set(cuts))


def plant(text: str, insert: str, rng: random.Random) -> tuple[str, int, int]:
    """`text` with `insert` (wrapped) at the start, the end or a sentence boundary; and the insert's span."""
    wrapped = rng.choice(WRAPPERS).format(a=insert)
    where = rng.random()
    cuts = _boundaries(text)
    at = 0 if where < 0.2 else len(text) if where < 0.45 else rng.choice(cuts)
    before, after = text[:at], text[at:]
    sep_b = "" if not before or before.endswith(("\n", " ")) else " "
    sep_a = "" if not after or after.startswith(("\n", " ")) else " "
    start = len(before) + len(sep_b)
    return before + sep_b + wrapped + sep_a + after, start, start + len(wrapped)


def crop(text: str, span: tuple[int, int] | None, rng: random.Random) -> tuple[str, tuple[int, int] | None]:
    """A stretch of `text` around `span` (or anywhere), and the span within it."""
    size = rng.randint(*TRAIN_CROP)
    if len(text) <= size:
        return text, span
    if span is None:
        start = rng.randint(0, len(text) - size)
    else:
        lo = max(0, span[1] - size)
        hi = min(span[0], len(text) - size)
        start = rng.randint(lo, hi) if lo <= hi else span[0]
    piece = text[start : start + size]
    return piece, None if span is None else (span[0] - start, min(span[1] - start, len(piece)))


def _fill(carrier: Carrier, defaults: dict[str, str], attack: str | None, rng: random.Random) -> tuple[str, tuple[int, int] | None]:
    """A tool result with its slots at their defaults, or one slot (if it has any) holding `attack`."""
    text = carrier.text
    target = rng.choice(carrier.slots) if attack is not None and carrier.slots else None
    span = None
    for slot in carrier.slots:
        marker = f"@@{slot}@@"
        if slot == target and attack is not None:
            start = text.find(marker)
            text = text.replace(marker, attack, 1)
            span = (start, start + len(attack))
        text = text.replace(marker, defaults.get(slot, ""))
    return text, span


def _pick(pool: Sequence[Insert], carrier: Carrier, rng: random.Random) -> Insert:
    code = [i for i in pool if i.source == "bipia_code"]
    if carrier.source == "bipia_code" and code and rng.random() < 0.7:
        return rng.choice(code)
    return rng.choice([i for i in pool if i.source != "bipia_code"] or list(pool))


def document_cases(cs: Sequence[Carrier], pool: Sequence[Insert], rng: random.Random, clean_copy: bool = True,
                   source: str | None = None) -> list[Case]:
    """Each carrier clean (unless `clean_copy` is off: its clean text is a case already), with one planted attack,
    and half of them with one benign order; named `doc_<source>` (the carrier's own source by default)."""
    defaults = slot_defaults()
    out: list[Case] = []
    for carrier in cs:
        split = split_of(carrier.group)
        attacks = [i for i in pool if i.label == 1 and split_of(i.group) == split]
        benign = [i for i in pool if i.label == 0 and split_of(i.group) == split]
        clean, _ = _fill(carrier, defaults, None, rng)
        variants: list[tuple[str, tuple[int, int] | None, int]] = [(clean, None, 0)] if clean_copy else []
        attack = _pick(attacks, carrier, rng)
        if carrier.slots and rng.random() < 0.7:
            text, span = _fill(carrier, defaults, attack.text, rng)
        else:
            text, start, end = plant(clean, attack.text, rng)
            span = (start, end)
        variants.append((text, span, 1))
        if benign and rng.random() < 0.5:
            text, start, end = plant(clean, rng.choice(benign).text, rng)
            variants.append((text, (start, end), 0))
        request = carrier.request if rng.random() < 0.85 else ""
        for text, span, label in variants:
            if split == "train":
                text, span = crop(text, span, rng)
            else:
                text, span = text[:DEV_MAX_CHARS], None
            out.append(Case(f"doc_{source or carrier.source}", carrier.role, request, text, label, split, span))
    return out


def _capped(items: list, cap: dict[str, int], rng: random.Random) -> list:
    by: dict[str, list] = {}
    for item in items:
        by.setdefault(item.source, []).append(item)
    out = []
    for source, members in by.items():
        rng.shuffle(members)
        out += members[: cap.get(source, len(members))]
    return out


def build(data: Path = DATA_DIR, own: Path = OWN_DATA, seed: int = SEED) -> list[Case]:
    """Every case, train and dev, in a fixed order for a fixed seed."""
    rng = random.Random(seed)
    prompts: list[Prompt] = _capped(direct_prompts(data), PROMPT_CAP, rng) + own_prompts(own)
    out = [Case(p.source, p.role, "", p.text, p.label, split_of(p.group)) for p in prompts]
    pool = inserts(data, own)
    out += [Case("bipia_as_user", "user", "", i.text, 0, split_of(i.group)) for i in pool if i.source == "bipia_text"]
    # The direct injections of deepset and CyberSecEval also make good planted attacks (they are orders too).
    planted = pool + [Insert(p.source, p.group, p.text, 1) for p in prompts
                      if p.label == 1 and p.source in ("deepset", "cse_direct") and len(p.text) < 400
                      and p.group.split(":")[1] not in CONTEXT_BOUND]
    english, multilingual = carriers(data), multilingual_carriers(data)
    out += document_cases(_capped(english, CARRIER_CAP, rng), planted, rng)
    # Added later with a random stream of their own, so the cases above stay what they were.
    extra = random.Random(seed + 1)
    out += document_cases(_capped(multilingual, CARRIER_CAP, extra), planted, extra)
    # The project's own orders in six EU languages, planted in a fresh sample of every carrier source (English
    # ones too: an attacker writes in any language), from a third stream; one dev file of their own.
    third = random.Random(seed + 2)
    every = english + multilingual
    sample = _capped(every, dict.fromkeys({c.source for c in every}, EU_PLANTED_PER_SOURCE), third)
    out += document_cases(sample, eu_inserts(own), third, clean_copy=False, source="planted_eu")
    return out
