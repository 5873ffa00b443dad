"""Build `common_words.txt.gz`: words of French, German, Spanish, Dutch and Italian text that are not names.

    python guardrails/pii/data/build_common_words.py [--data-dir ../shared/datasets]

The name tagger's gazetteer feature knew English words only, so a capitalised German noun ("Regierung") or an
Italian institution ("Comune") looked like any unknown word, and German capitalises every noun. This list is
the evidence against a name in those languages, read from text whose licence allows shipping what is derived
from it (see SOURCES.md), and only from its training parts (the dev runs of Europeana and MEDDOCAN's dev and
test files are never read, so the dev figures stay honest):

- a word written in lower case at least twice (French, Spanish, Italian, Dutch and German words other than
  nouns): Europeana FR/NL/DE train runs, MEDDOCAN train, the French Vigogne chats, the d'Accord pairs, the
  translated CyberSecEval prompts;
- a German word written capitalised inside a sentence at least three times, and more often outside a tagged
  entity than inside one (the nouns: "Regierung" also opens "Regierung von Oberbayern"): the Europeana DE
  train runs.

A word ever tagged as part of a person's name in those corpora is left out. Case-folded, one word a line,
sorted: the same inputs give the same bytes. Runs once, by hand; nothing here runs at import.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
_WORD = re.compile(r"^[^\W\d_]{3,}$")
_LANGUAGES = ("French", "German", "Spanish", "Italian")


def _corpus_rows(data_dir: Path) -> tuple[list[dict], list[dict]]:
    """(labelled training rows of Europeana DE, every other labelled training row)."""
    import sys

    sys.path.insert(0, str(ROOT))
    from evals import pii_corpora

    german: list[dict] = []
    other: list[dict] = []
    for name in pii_corpora.EUROPEANA:
        rows = pii_corpora.europeana(name, data_dir, "train")
        (german if "_DE." in name else other).extend(rows)
    other += pii_corpora.meddocan("train", data_dir)
    return german, other


def _plain_texts(data_dir: Path) -> list[str]:
    texts: list[str] = []
    for line in (data_dir / "injection" / "vigogne_oasst_20230412_fr_top1.jsonl").read_text(encoding="utf-8").splitlines():
        texts += [m["content"] for m in json.loads(line)["messages"]]
    for line in (data_dir / "grounding" / "nli_daccord_fr.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts += [record["premise"], record["hypothesis"]]
    prompts = json.loads((data_dir / "injection" / "cyberseceval_prompt_injection_multilingual.json").read_text(encoding="utf-8"))
    texts += [p[k] for p in prompts if p["speaking_language"] in _LANGUAGES for k in ("test_case_prompt", "user_input")]
    return texts


def _tokens(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in re.finditer(r"[^\W\d_]+", text)]


def build(data_dir: Path) -> list[str]:
    german, other = _corpus_rows(data_dir)
    lower: Counter[str] = Counter()
    nouns: Counter[str] = Counter()
    in_entity: Counter[str] = Counter()
    person: set[str] = set()
    for rows, is_german in ((german, True), (other, False)):
        for row in rows:
            text = row["full_text"]
            spans = [(s["start_position"], s["end_position"], s["entity_type"]) for s in row["spans"]]
            previous_end = None
            for start, token in _tokens(text):
                inside = [kind for a, b, kind in spans if a <= start < b]
                opens = previous_end is None or any(c in ".!?:;\"«»(" for c in text[previous_end:start])
                previous_end = start + len(token)
                key = token.casefold()
                if inside:
                    in_entity[key] += 1
                    if "PERSON" in inside:
                        person.add(key)
                    continue
                if token[0].islower():
                    lower[key] += 1
                elif is_german and not opens and not token.isupper():
                    nouns[key] += 1
    for text in _plain_texts(data_dir):
        for _, token in _tokens(text):
            if token[0].islower():
                lower[token.casefold()] += 1
    kept = {w for w, n in lower.items() if n >= 2} | {w for w, n in nouns.items() if n >= 3 and n > in_entity[w]}
    return sorted(w for w in kept - person if _WORD.match(w))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".." / "shared" / "datasets")
    args = parser.parse_args()
    words = build(args.data_dir)
    target = HERE / "common_words.txt.gz"
    target.write_bytes(gzip.compress(("\n".join(words) + "\n").encode("utf-8"), mtime=0))
    print(f"{len(words)} words, {target.stat().st_size} bytes -> {target}")


if __name__ == "__main__":
    main()
