"""Evidence selection: the context sentences the entailment model reads for one claim.

A cross-encoder costs per token, and a long context would be cut at the model's window anyway, so each claim is
paired with the few context sentences that BM25 ranks highest for it, put back in document order (so pronouns
and "it" keep their antecedents where the neighbour is also chosen). The tokenizer is Unicode-aware and uses a
prefix "stem" (first 6 characters), which matches inflections in English and French alike ("annoncé"/"annonce",
"founded"/"founder") without a language-specific stemmer. Training (evals/train_nli.py) uses the same function,
so the model learns on the kind of premise it is given at run time.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_TOKEN = re.compile(r"\w+", re.UNICODE)
_PREFIX = 6
_K1 = 1.2
_B = 0.75
DEFAULT_BUDGET = 90
"""Words of evidence per claim: with the claim, it stays inside the model's 192-token window."""


def terms(text: str) -> list[str]:
    """Lower-cased word prefixes; one-letter tokens (articles, elisions) carry no evidence."""
    return [t[:_PREFIX] for t in _TOKEN.findall(text.lower()) if len(t) > 1]


class Bm25:
    """Okapi BM25 over a fixed list of sentences (built once per context, queried once per claim)."""

    def __init__(self, sentences: Sequence[str]) -> None:
        self.sentences = list(sentences)
        self._bags = [Counter(terms(s)) for s in self.sentences]
        self._lengths = [sum(b.values()) for b in self._bags]
        self._avg = (sum(self._lengths) / len(self._lengths)) if self._lengths else 1.0
        df: Counter[str] = Counter()
        for bag in self._bags:
            df.update(bag.keys())
        n = len(self._bags)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: str) -> list[float]:
        wanted = set(terms(query))
        out: list[float] = []
        for bag, length in zip(self._bags, self._lengths, strict=True):
            norm = _K1 * (1 - _B + _B * length / max(self._avg, 1e-6))
            out.append(sum(self._idf[t] * bag[t] * (_K1 + 1) / (bag[t] + norm) for t in wanted if t in bag))
        return out

    def evidence(self, query: str, budget_words: int = DEFAULT_BUDGET) -> str:
        """The best-ranked sentences that fit in `budget_words`, joined in their original order."""
        if not self.sentences:
            return ""
        scores = self.scores(query)
        ranked = sorted(range(len(self.sentences)), key=lambda i: (-scores[i], i))
        chosen: list[int] = []
        used = 0
        for i in ranked:
            size = len(self.sentences[i].split())
            if chosen and used + size > budget_words:
                continue
            chosen.append(i)
            used += size
            if used >= budget_words:
                break
        return " ".join(_clip(self.sentences[i], budget_words) for i in sorted(chosen))


def _clip(sentence: str, budget_words: int) -> str:
    words = sentence.split()
    return sentence if len(words) <= budget_words else " ".join(words[:budget_words])


def select_evidence(sentences: Sequence[str], claim: str, budget_words: int = DEFAULT_BUDGET) -> str:
    """One-shot helper: the evidence for `claim` among `sentences`."""
    return Bm25(sentences).evidence(claim, budget_words)
