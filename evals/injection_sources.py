"""Readers for the public injection data in ../shared/datasets: prompts, carrier documents and attack strings.

Only files whose licence allows training shipped weights are read here (see ../shared/datasets/README.md);
every reader returns plain tuples and does no sampling, so `injection_data` decides what is used where.
A carrier is a benign document with the question a user asked about it (empty when the set has none); its
`group` names the source document, so one document never lands in both the training and the dev split.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared/datasets beside the checkout (or beside the folder holding worktrees of it).
DATA_DIR = next(
    (p for p in (ROOT / ".." / "shared" / "datasets", ROOT / ".." / ".." / "shared" / "datasets") if p.is_dir()),
    ROOT / ".." / "shared" / "datasets",
)
OWN_DATA = ROOT / "evals" / "data" / "injection"


@dataclass(frozen=True, slots=True)
class Prompt:
    """A text sent in one role, labelled."""

    source: str
    group: str
    text: str
    label: int
    role: str = "user"


@dataclass(frozen=True, slots=True)
class Carrier:
    """A benign document (or tool result) and the request it answers; `slots` are AgentDojo's injection points."""

    source: str
    group: str
    text: str
    request: str
    role: str = "document"
    slots: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Insert:
    """A sentence to plant in a carrier: an attack (label 1) or a benign order to the reader (label 0)."""

    source: str
    group: str
    text: str
    label: int


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def direct_prompts(data: Path = DATA_DIR) -> list[Prompt]:
    """User prompts: deepset (both labels), in-the-wild jailbreaks, CyberSecEval direct (EN + translated),
    and benign over-defence sets (NotInject, WildGuard), XSTest and French instructions (Vigogne)."""
    import pandas as pd

    inj = data / "injection"
    out = [
        Prompt("deepset", f"deepset:{i}", str(t), int(y))
        for i, (t, y) in enumerate(pd.read_parquet(inj / "deepset_train.parquet")[["text", "label"]].itertuples(index=False))
    ]
    out += [Prompt("inthewild", f"itw:{i}", str(t), 1) for i, t in enumerate(json.loads((inj / "inthewild_jailbreaks.json").read_text()))]
    for name in ("cyberseceval_prompt_injection.json", "cyberseceval_prompt_injection_multilingual.json"):
        for row in json.loads((inj / name).read_text()):
            # The same prompt id in every language shares a group, so a translation never leaks across splits.
            group = f"cse:{row['injection_variant']}:{row['prompt_id'] % 251}"
            if row["injection_type"] == "direct":
                out.append(Prompt("cse_direct", group, str(row["user_input"]), 1))
            else:
                out.append(Prompt("cse_indirect", group, str(row["user_input"]), 1, role="document"))
    for part in ("one", "two", "three"):
        out += [Prompt("notinject", f"ni:{part}:{i}", str(r["prompt"]), 0)
                for i, r in enumerate(json.loads((inj / f"injecguard_NotInject_{part}.json").read_text()))]
    out += [Prompt("wildguard", f"wg:{i}", str(r["prompt"]), 0)
            for i, r in enumerate(json.loads((inj / "injecguard_wildguard.json").read_text())) if int(r["label"]) == 0]
    out += [Prompt("xstest", f"xs:{i}", str(t), 0)
            for i, t in enumerate(pd.read_csv(data / "safety" / "xstest_prompts.csv")["prompt"])]
    for i, row in enumerate(_jsonl(inj / "vigogne_seed_tasks_vigogne.jsonl")):
        out.append(Prompt("vigogne", f"vs:{i}", str(row["instruction"]), 0))
    for i, row in enumerate(_jsonl(inj / "vigogne_oasst_20230412_fr_top1.jsonl")):
        first = row["messages"][0]  # type: ignore[index]
        out.append(Prompt("vigogne", f"vo:{i}", str(first["content"]), 0))
    return out


def own_prompts(own: Path = OWN_DATA) -> list[Prompt]:
    """The project's own cases (evals/data/injection/*.jsonl; never holdout/, never inserts/)."""
    out = []
    for path in sorted(own.glob("*.jsonl")):
        for i, row in enumerate(_jsonl(path)):
            out.append(Prompt(path.stem, f"{path.stem}:{i}", str(row["text"]), int(row["label"]), str(row.get("role", "user"))))  # type: ignore[arg-type]
    return out


def carriers(data: Path = DATA_DIR) -> list[Carrier]:
    """Benign documents: BIPIA e-mails, tables and code answers (with their questions), Enron e-mails, AgentDojo
    tool results, SummEdits documents, HaluEval passages (with questions) and French answers from Vigogne."""
    inj = data / "injection"
    out = [Carrier("bipia_email", f"email:{i}", str(r["context"]), str(r["question"]).removeprefix("Q: "))
           for i, r in enumerate(_jsonl(inj / "bipia_email_train.jsonl"))]
    out += [Carrier("bipia_table", f"table:{i}", str(r["context"]), str(r["question"]))
            for i, r in enumerate(_jsonl(inj / "bipia_table_train.jsonl"))]
    for i, r in enumerate(_jsonl(inj / "bipia_code_train.jsonl")):
        error = next((line for line in reversed(r["error"]) if line.strip()), "")  # type: ignore[arg-type]
        out.append(Carrier("bipia_code", f"code:{i}", "\n".join(r["context"]).strip(), f"How do I fix {error}?"))  # type: ignore[arg-type]
    for i, r in enumerate(_jsonl(inj / "enron_ham_emails.jsonl")):
        out.append(Carrier("enron", f"enron:{i}", str(r["text"]), ""))
    out += agentdojo_outputs(inj / "agentdojo_suites")
    for i, r in enumerate(_jsonl(data / "grounding" / "consistency_summedits.jsonl")):
        out.append(Carrier("summedits", f"se:{hash_text(str(r['premise']))}", str(r["premise"]), "Summarise this document."))
    for i, r in enumerate(_jsonl(data / "grounding" / "halueval_qa.jsonl")):
        out.append(Carrier("halueval", f"he:{i}", str(r["knowledge"]), str(r["question"])))
    for i, row in enumerate(_jsonl(inj / "vigogne_oasst_20230412_fr_top1.jsonl")):
        messages = row["messages"]  # type: ignore[assignment]
        if len(messages) >= 2:  # type: ignore[arg-type]
            out.append(Carrier("vigogne_doc", f"vo:{i}", str(messages[1]["content"]), str(messages[0]["content"])))  # type: ignore[index]
    return out


# Requests a user sends with a document in the carriers' languages.
_SUMMARISE = {"de": "Fasse diesen Artikel zusammen.", "fr": "Résume cet article.", "nl": "Vat dit artikel samen.",
              "es": "Resume este informe clínico."}
_PASSAGE_CHARS = 700


def multilingual_carriers(data: Path = DATA_DIR) -> list[Carrier]:
    """Benign documents in German, French and Dutch (Europeana newspaper passages, OCR noise kept, CC0) and Spanish
    (MEDDOCAN clinical records, CC BY 4.0): only the parts the PII evaluation does not hold out."""
    from evals.pii_corpora import europeana, meddocan

    out: list[Carrier] = []
    for name, lang in (("europeana_enp_DE.lft.bio", "de"), ("europeana_enp_DE.onb.bio", "de"),
                       ("europeana_enp_DE.sbb.bio", "de"), ("europeana_enp_FR.bnf.bio", "fr"),
                       ("europeana_enp_NL.kb.bio", "nl")):
        if not (data / "pii" / name).is_file():
            continue
        passage: list[str] = []
        for row in europeana(name, data, split="train"):
            passage.append(re.sub(r" ([,.;:!?)\]])", r"\1", row["full_text"]))
            if sum(len(s) for s in passage) >= _PASSAGE_CHARS:
                out.append(Carrier(f"europeana_{lang}", f"eu:{name}:{len(out)}", " ".join(passage), _SUMMARISE[lang]))
                passage = []
    if (data / "pii" / "meddocan_es_train.jsonl").is_file():
        for i, row in enumerate(meddocan("train", data)):
            out.append(Carrier("meddocan", f"md:{i}", row["full_text"], _SUMMARISE["es"]))
    return out


def hash_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


_SLOT = re.compile(r"\{(\w*injection\w*)\}")


def agentdojo_outputs(suites: Path) -> list[Carrier]:
    """Each record of each AgentDojo environment (an e-mail, an event, a file, a transaction, a hotel review...)
    rendered as YAML, the way the suites' tools return them; the `{injection_*}` slots are kept by name and
    filled later (with the suite's benign default, or an attack)."""
    import yaml

    out: list[Carrier] = []
    for env in sorted(suites.glob("**/*.yaml")):
        if env.name == "injection_vectors.yaml":
            continue
        raw = _SLOT.sub(lambda m: f"@@{m.group(1)}@@", env.read_text())
        try:
            tree = yaml.safe_load(raw)
        except yaml.YAMLError:
            continue
        for k, record in enumerate(_records(tree)):
            text = yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=100).strip()
            slots = tuple(dict.fromkeys(re.findall(r"@@(\w+)@@", text)))
            out.append(Carrier("agentdojo", f"ad:{env.parent.name}:{env.stem}:{k}", text, "", "tool", slots))
    return out


def _records(tree: object) -> list[dict[str, object]]:
    """The dict items of every list in a parsed YAML tree, and dicts of dicts (user -> inbox)."""
    found: list[dict[str, object]] = []
    if isinstance(tree, list):
        items = [x for x in tree if isinstance(x, dict)]
        if items and len(items) == len(tree):
            return items
        for x in tree:
            found += _records(x)
    elif isinstance(tree, dict):
        for value in tree.values():
            found += _records(value)
    return found


def slot_defaults(suites: Path = DATA_DIR / "injection" / "agentdojo_suites") -> dict[str, str]:
    """The benign text AgentDojo puts in each slot when no attack is run."""
    import yaml

    out: dict[str, str] = {}
    for vectors in suites.glob("*/injection_vectors.yaml"):
        for name, spec in (yaml.safe_load(vectors.read_text()) or {}).items():
            out[name] = str(spec.get("default", "")).replace("\\n", "\n").replace("\\t", "\t")
    return out


def inserts(data: Path = DATA_DIR, own: Path = OWN_DATA) -> list[Insert]:
    """Attacks to plant (BIPIA text and code attacks, deepset's injections, the project's own) and benign
    orders to the reader (the project's own), each its own group."""
    inj = data / "injection"
    out: list[Insert] = []
    for name, tag in (("bipia_text_attacks_train.json", "bipia_text"), ("bipia_code_attacks_train.json", "bipia_code")):
        for category, texts in json.loads((inj / name).read_text()).items():
            out += [Insert(tag, f"{tag}:{category}:{i}", str(t), 1) for i, t in enumerate(texts)]
    return out + _own_inserts(own / "inserts" / "attacks.jsonl", "own_attack", 1) \
        + _own_inserts(own / "inserts" / "benign.jsonl", "own_benign", 0)


def eu_inserts(own: Path = OWN_DATA) -> list[Insert]:
    """The project's own orders to the assistant written in French, German, Spanish, Italian, Dutch and Portuguese
    (exfiltration, hijacked answers, tool misuse, prompt leaks, false statements, hidden wrappers), and benign
    orders to the human reader in the same languages, each its own group."""
    return _own_inserts(own / "inserts" / "attacks_eu.jsonl", "own_attack_eu", 1) \
        + _own_inserts(own / "inserts" / "benign_eu.jsonl", "own_benign_eu", 0)


def _own_inserts(path: Path, source: str, label: int) -> list[Insert]:
    """One of the project's insert files, each text its own group (named after its hash)."""
    return [Insert(source, f"{source}:{hash_text(str(r['text']))}", str(r["text"]), label) for r in _jsonl(path)]
