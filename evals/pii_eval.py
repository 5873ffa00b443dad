"""PII guardrail evaluation: entity-level precision/recall/F1 per dataset, latency, French/EU identifier check.

    python -m evals.pii_eval [--data-dir ../shared/datasets] [--json] [--latency-samples 300] [--only NAME,...]

NER dev splits (`evals/pii_corpora.py`): Europeana FR/DE/NL (every 6th run of 40 sentences held out, never
trained on), MEDDOCAN's dev file, and a fixed sample of 1,500 WikiNEuRal val sentences per language
(fr/de/es/it; non-commercial, measured only). On these only PERSON and LOCATION are labelled.

Label mapping (dataset -> ours): PERSON -> PERSON; EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE,
IP_ADDRESS, US_SSN -> same name; DOMAIN_NAME -> URL. GPE and LOCATION -> LOCATION and DATE_TIME -> DATE_TIME are
reported as informational (not in the guardrail's default set). Every other dataset label (STREET_ADDRESS,
ADDRESS, ORGANIZATION, TITLE, AGE, NRP, ZIP_CODE, US_DRIVER_LICENSE) is not detected by this guardrail and is
listed with its count under "not_detected", never silently dropped.

A prediction matches a gold span of the mapped type when their character IoU is >= 0.5 (one-to-one).

Besides each whole file, presidio_synth_v2 is reported in halves: the PERSON rules were tuned on the first
half only, so its second half and presidio_generated_small are the honest figures. The hand-written
EN/FR name cases in evals/data/pii/name_cases.json are a third check.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from evals import pii_corpora
from evals.pii_corpora import DEFAULT_DATA
from guardrails.pii.engine import DEFAULT_PERSONS, PiiEngine
from guardrails.pii.entities import DEFAULT_ENTITIES, Entity

DATASETS = ("pii/presidio_synth_v2.json", "pii/presidio_generated_small.json")
# The PERSON rules were tuned on the first half of presidio_synth_v2 only: the second half and
# presidio_generated_small are the honest figures.
SPLIT_FILE, SPLIT_AT = "pii/presidio_synth_v2.json", 750
# Hand-written name cases (English and French), same format as the Presidio files.
OWN_CASES = Path(__file__).resolve().parent / "data" / "pii" / "name_cases.json"

LABEL_MAP = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_SSN": "US_SSN",
    "DOMAIN_NAME": "URL",
    "GPE": "LOCATION",
    "LOCATION": "LOCATION",
    "DATE_TIME": "DATE_TIME",
}
PATTERN_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "URL")
NAME_TYPES = ("PERSON",)
INFO_TYPES = ("LOCATION", "DATE_TIME")
IOU = 0.5

# French/EU identifiers written the ways people write them; every one must be caught with its exact span.
FR_CASES: tuple[tuple[str, str, str], ...] = (
    ("Mon numéro de sécu est le 1 84 12 76 451 089 46.", "FR_NIR", "1 84 12 76 451 089 46"),
    ("NIR : 184127645108946", "FR_NIR", "184127645108946"),
    ("Numéro de sécurité sociale 2 69 05 2A 004 023 17", "FR_NIR", "2 69 05 2A 004 023 17"),
    ("sécurité sociale : 1 91 11 2B 123 456 56", "FR_NIR", "1 91 11 2B 123 456 56"),
    ("La société (SIREN 732 829 320) est à Paris.", "FR_SIREN", "732 829 320"),
    ("RCS Paris 552081317", "FR_SIREN", "552081317"),
    ("SIRET : 732 829 320 00074", "FR_SIRET", "732 829 320 00074"),
    ("Établissement SIRET 55208131766522", "FR_SIRET", "55208131766522"),
    ("SIRET de La Poste : 356 000 000 00048", "FR_SIRET", "356 000 000 00048"),
    ("Appelez-moi au +33 6 12 34 56 78 demain.", "PHONE_NUMBER", "+33 6 12 34 56 78"),
    ("Mon portable : 06.12.34.56.78", "PHONE_NUMBER", "06.12.34.56.78"),
    ("Tél. 0612345678", "PHONE_NUMBER", "0612345678"),
    ("Joignable au 06-12-34-56-78 le soir", "PHONE_NUMBER", "06-12-34-56-78"),
    ("Depuis l'étranger : 0033 1 42 68 53 00", "PHONE_NUMBER", "0033 1 42 68 53 00"),
    ("Standard : +33 (0)1 42 68 53 00", "PHONE_NUMBER", "+33 (0)1 42 68 53 00"),
    ("Call me on (0)6 12 34 56 78 tomorrow", "PHONE_NUMBER", "(0)6 12 34 56 78"),
    ("Virement sur FR76 3000 6000 0112 3456 7890 189 merci", "IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189"),
    ("IBAN DE89370400440532013000", "IBAN_CODE", "DE89370400440532013000"),
    ("Please pay BE68 5390 0754 7034 Bank Belfius", "IBAN_CODE", "BE68 5390 0754 7034"),
    ("IBAN: ES91 2100 0418 4502 0005 1332", "IBAN_CODE", "ES91 2100 0418 4502 0005 1332"),
    ("Account NL91ABNA0417164300 at ABN", "IBAN_CODE", "NL91ABNA0417164300"),
    ("IBAN MT84 MALT 0110 0001 2345 MTLC AST0 01S", "IBAN_CODE", "MT84 MALT 0110 0001 2345 MTLC AST0 01S"),
    ("Kontonummer NO93 8601 1117 947", "IBAN_CODE", "NO93 8601 1117 947"),
)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Tally) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def scores(self) -> dict[str, float | int]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}  # fmt: skip


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def _tally(gold: list[tuple[int, int]], pred: list[tuple[int, int]]) -> Tally:
    unmatched = list(pred)
    tally = Tally()
    for span in gold:
        best = max(unmatched, key=lambda p: _iou(span, p), default=None)
        if best is not None and _iou(span, best) >= IOU:
            unmatched.remove(best)
            tally.tp += 1
        else:
            tally.fn += 1
    tally.fp = len(unmatched)
    return tally


def evaluate_dataset(engine: PiiEngine, rows: list[dict]) -> dict[str, object]:
    texts = [row["full_text"] for row in rows]
    predictions = engine.analyze_batch(texts)
    per_type = {t: Tally() for t in PATTERN_TYPES + NAME_TYPES + INFO_TYPES}
    not_detected: Counter[str] = Counter()
    for row, found in zip(rows, predictions, strict=True):
        gold: dict[str, list[tuple[int, int]]] = {}
        for span in row["spans"]:
            ours = LABEL_MAP.get(span["entity_type"])
            if ours is None:
                not_detected[span["entity_type"]] += 1
                continue
            gold.setdefault(ours, []).append((span["start_position"], span["end_position"]))
        for entity_type, tally in per_type.items():
            pred = [(e.start, e.end) for e in found if e.entity_type == entity_type]
            tally.add(_tally(gold.get(entity_type, []), pred))
    return {
        "rows": len(rows),
        "pattern": _group(per_type, PATTERN_TYPES),
        "names": _group(per_type, NAME_TYPES),
        "per_entity": {t: per_type[t].scores() for t in per_type},
        "not_detected": dict(not_detected.most_common()),
    }


def _group(per_type: dict[str, Tally], types: tuple[str, ...]) -> dict[str, float | int]:
    total = Tally()
    for entity_type in types:
        total.add(per_type[entity_type])
    return total.scores()


def measure_latency(engine: PiiEngine, texts: list[str]) -> dict[str, float]:
    """Per-message latency of a one-message batch: wall time and this thread's CPU time (ms)."""
    for text in texts[:10]:
        engine.analyze_batch([text])
    wall: list[float] = []
    cpu: list[float] = []
    for text in texts:
        w, c = time.perf_counter(), time.thread_time()
        engine.analyze_batch([text])
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return {"messages": len(texts), "wall_p50_ms": _pct(wall, 50), "wall_p95_ms": _pct(wall, 95),
            "cpu_p50_ms": _pct(cpu, 50), "cpu_p95_ms": _pct(cpu, 95)}  # fmt: skip


REQUEST = (
    "You are the support assistant of Acme Travel. Answer in two sentences at most and never promise refunds.",
    "Hi, I booked flight {n} to Lisbon last week and the confirmation never arrived. My e-mail is "
    "client{n}@example.com, can you resend it?",
    "I am sorry about that. I can resend the confirmation once I have checked the booking reference.",
    "The reference is ACM-{n}. Also, my colleague Sofia Marques travels with me, please add her to the booking.",
)


def measure_requests(engine: PiiEngine, requests: int = 100) -> dict[str, float]:
    """CPU per typical 4-message chat request (system, user, assistant, user; one batch, as the guardrail sends
    it), every message new to the engine (no cache), and the texts the tagger ran on."""
    cpu: list[float] = []
    for n in range(requests + 5):
        messages = [m.format(n=1000 + n) for m in REQUEST]
        started = time.thread_time()
        engine.analyze_batch(messages, entities=DEFAULT_ENTITIES)
        if n >= 5:
            cpu.append((time.thread_time() - started) * 1000)
    return {"requests": requests, "messages_per_request": len(REQUEST), "cpu_p50_ms": _pct(cpu, 50),
            "cpu_mean_ms": round(statistics.fmean(cpu), 3), "cpu_p95_ms": _pct(cpu, 95)}  # fmt: skip


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[pct - 1], 3)


def french_check(engine: PiiEngine) -> dict[str, object]:
    texts = [text for text, _, _ in FR_CASES]
    failures: list[dict[str, str]] = []
    for (text, entity_type, value), found in zip(FR_CASES, engine.analyze_batch(texts), strict=True):
        if not any(_is(e, text, entity_type, value) for e in found):
            got = [f"{e.entity_type}:{text[e.start:e.end]}" for e in found]
            failures.append({"text": text, "expected": f"{entity_type}:{value}", "got": ", ".join(got)})
    return {"cases": len(FR_CASES), "caught": len(FR_CASES) - len(failures), "failures": failures}


def _is(entity: Entity, text: str, entity_type: str, value: str) -> bool:
    return entity.entity_type == entity_type and text[entity.start : entity.end] == value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--latency-samples", type=int, default=300)
    parser.add_argument("--only", default="", help="comma-separated substrings of the dataset names to run")
    parser.add_argument("--ner", choices=("tagger", "spacy"), default="tagger", help="spacy: the engine before the tagger")
    parser.add_argument("--persons", choices=("tagger", "finder"), default=None)
    args = parser.parse_args()
    persons = args.persons or ("finder" if args.ner == "spacy" else DEFAULT_PERSONS)
    engine = PiiEngine(cache_size=0, ner=args.ner, persons=persons)  # every latency sample pays for its analysis
    engine.load()
    report: dict[str, object] = {"datasets": {}}
    only = [part for part in args.only.split(",") if part]
    for name, rows in ner_dev_sets(args.data_dir):
        if not only or any(part in name for part in only):
            report["datasets"][name] = evaluate_dataset(engine, rows)  # type: ignore[index]
    typical: list[str] = []
    for name in DATASETS:
        rows = json.loads((args.data_dir / name).read_text(encoding="utf-8"))
        typical += [row["full_text"] for row in rows if len(row["full_text"]) <= 200]
        if only and not any(part in name for part in only):
            continue
        report["datasets"][name] = evaluate_dataset(engine, rows)  # type: ignore[index]
        if name == SPLIT_FILE:
            report["datasets"][f"{name}[:{SPLIT_AT}] (tuned on)"] = evaluate_dataset(engine, rows[:SPLIT_AT])  # type: ignore[index]
            report["datasets"][f"{name}[{SPLIT_AT}:] (held out)"] = evaluate_dataset(engine, rows[SPLIT_AT:])  # type: ignore[index]
    own = json.loads(OWN_CASES.read_text(encoding="utf-8"))
    report["datasets"]["evals/data/pii/name_cases.json (hand-written)"] = evaluate_dataset(engine, own)  # type: ignore[index]
    report["latency_typical_message"] = measure_latency(engine, typical[: args.latency_samples])
    report["cpu_per_request"] = measure_requests(engine)
    report["french_eu_check"] = french_check(engine)
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else _text(report))


def ner_dev_sets(data_dir: Path) -> list[tuple[str, list[pii_corpora.Row]]]:
    """(name, rows) of every NER dev split, each read only when its turn comes."""
    sets: list[tuple[str, list[pii_corpora.Row]]] = []
    for name in pii_corpora.EUROPEANA:
        sets.append((f"{name} (dev runs)", pii_corpora.europeana(name, data_dir, "dev")))
    sets.append(("meddocan_es_dev.jsonl", pii_corpora.meddocan("dev", data_dir)))
    for language in pii_corpora.WIKINEURAL:
        sets.append((f"wikineural_{language}_val (1500, measure only)", pii_corpora.wikineural(language, data_dir)))
    return sets


def _text(report: dict[str, object]) -> str:
    lines: list[str] = []
    for name, result in report["datasets"].items():  # type: ignore[attr-defined]
        lines.append(f"== {name} ({result['rows']} rows)")
        for group in ("pattern", "names"):
            s = result[group]
            lines.append(f"  {group:8s} P={s['precision']:.3f} R={s['recall']:.3f} F1={s['f1']:.3f} "
                         f"(tp={s['tp']} fp={s['fp']} fn={s['fn']})")  # fmt: skip
        for entity_type, s in result["per_entity"].items():
            if s["tp"] + s["fp"] + s["fn"]:
                lines.append(f"    {entity_type:14s} P={s['precision']:.3f} R={s['recall']:.3f} F1={s['f1']:.3f} "
                             f"(tp={s['tp']} fp={s['fp']} fn={s['fn']})")  # fmt: skip
        lines.append(f"  not detected (dataset labels): {result['not_detected']}")
    lat = report["latency_typical_message"]
    lines.append(f"== latency, {lat['messages']} typical messages (<= 200 chars), one per call: "  # type: ignore[index]
                 f"wall p50={lat['wall_p50_ms']} ms p95={lat['wall_p95_ms']} ms; "  # type: ignore[index]
                 f"cpu p50={lat['cpu_p50_ms']} ms p95={lat['cpu_p95_ms']} ms")  # type: ignore[index]  # fmt: skip
    req = report["cpu_per_request"]
    lines.append(f"== CPU per 4-message request (default entities, no cache): p50={req['cpu_p50_ms']} ms "  # type: ignore[index]
                 f"mean={req['cpu_mean_ms']} ms p95={req['cpu_p95_ms']} ms")  # type: ignore[index]  # fmt: skip
    fr = report["french_eu_check"]
    lines.append(f"== French/EU identifiers: {fr['caught']}/{fr['cases']} caught")  # type: ignore[index]
    for failure in fr["failures"]:  # type: ignore[index]
        lines.append(f"  MISSED {failure['expected']!r} in {failure['text']!r}; got [{failure['got']}]")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
