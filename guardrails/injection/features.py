"""Cheap surface features appended to each window's embedding before the classifier.

MiniLM places "how do I enable developer mode?" close to "enable developer mode!": both are about the same
thing. Whether a window asks a question or gives the reader orders, and how much it addresses "you", is what
separates them, and these flags give the classifier that signal in every supported language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

N_FEATURES = 4
_QUESTION_START = re.compile(
    r"^\W*(?:how|what|why|when|where|which|who|whom|can|could|should|would|is|are|do|does|did|will|explain|"
    r"wie|was|warum|wo|welche[rsmn]?|kann|kannst|comment|quel(?:le)?s?|pourquoi|peux|puis|como|cómo|que|qué|"
    r"cual|cuál|por qué|puedo|puedes)\b",
    re.I,
)
_SECOND_PERSON = re.compile(
    r"\b(?:you|your|yourself|du|dich|dir|dein\w*|tu|toi|tes|ton|vous|votre|tú|tus|te)\b",
    re.I,
)


def style_features(texts: Sequence[str]) -> np.ndarray:
    """Per text: ends with '?', starts like a question, share of second-person words (scaled), has any '?'."""
    out = np.zeros((len(texts), N_FEATURES), dtype=np.float32)
    for i, text in enumerate(texts):
        words = max(1, len(text.split()))
        out[i] = (
            text.rstrip().endswith("?"),
            bool(_QUESTION_START.search(text)),
            min(1.0, 5 * len(_SECOND_PERSON.findall(text)) / words),
            "?" in text,
        )
    return out
