"""Cheap surface features appended to each window's embedding before the classifier.

MiniLM places "how do I enable developer mode?" close to "enable developer mode!": both are about the same
thing. What separates an injection from a text about one is its *form*: whether it gives the reader orders or
asks a question, addresses "you" with a modal ("you must", "du musst"), puts an override verb next to a
reference to earlier instructions, assigns the reader a new persona, forces a fixed output, or only quotes such a
phrase. These flags give the classifier that signal in English, French, Spanish and German. Patterns run on the
folded text (lower case, no accents), so they are written without accents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from guardrails.normalize import fold

FEATURE_NAMES: tuple[str, ...] = (
    "ends_question",
    "question_start",
    "second_person",
    "has_question",
    "override_prior",
    "new_task",
    "persona",
    "force_output",
    "shouting",
    "quoted_mention",
    "you_modal",
    "your_instructions",
    "imperative_start",
)
N_FEATURES = len(FEATURE_NAMES)

_QUESTION_START = re.compile(
    r"^\W*(?:how|what|why|when|where|which|who|whom|can|could|should|would|is|are|do|does|did|will|explain|"
    r"wie|was|warum|wo|welche[rsmn]?|kann|kannst|comment|quel(?:le)?s?|pourquoi|peux|puis|como|que|"
    r"cual|por que|puedo|puedes|est-ce)\b"
)
_SECOND_PERSON = re.compile(r"\b(?:you|your|yourself|du|dich|dir|dein\w*|tu|toi|tes|ton|vous|votre|tus|te)\b")
_OVERRIDE = (
    r"(?:ignor\w*|disregard\w*|forget|forgets|drop|scrap|abandon|leave|set aside|override|bypass|skip|"
    r"oubli\w*|laisse|olvid\w*|deja|descarta|vergiss\w*|vergessen|lass|verwirf|abweichend)"
)
_PRIOR = (
    r"(?:previous|prior|preceding|above|earlier|before|all|everything|whatever|initial|original|"
    r"precedent\w*|anterior\w*|tout|todo|alles|bisherig\w*|vorherig\w*|obig\w*|davor)"
)
_ORDERS = (
    r"(?:instruction\w*|prompt\w*|rules?|guidelines?|orders?|tasks?|assignments?|told|said|information|context|"
    r"consignes?|regles|instrucciones|reglas|tareas|anweisung\w*|regeln|aufgaben|auftrage|befehle|angaben|gesagt\w*)"
)
_OVERRIDE_PRIOR = re.compile(
    rf"\b{_OVERRIDE}\b(?:\W+\w+){{0,4}}?\W+{_PRIOR}\b|\b{_PRIOR}\b(?:\W+\w+){{0,3}}?\W+{_ORDERS}\b"
    rf"(?:\W+\w+){{0,4}}?\W+(?:{_OVERRIDE}|no longer|invalid|void|irrelevant|ungultig|obsolete?s?)\b"
)
_NEW_TASK = re.compile(
    r"\b(?:new|next|real|actual) (?:task|assignment|instructions?|job|mission)\b|\bthat(?: i|')s (?:enough|done)\b"
    r"|\b(?:now|jetzt|nun|maintenant|ahora) (?:further |new |weitere |neue )?(?:tasks|aufgaben|instructions|"
    r"anweisungen) (?:follow|folgen)|\bnouvelle tache\b|\bnueva tarea\b|\bneue aufgabe\b"
    r"|^(?:very good|well done|great|excellent|bravo|super|sehr gut|gut gemacht|tres bien|muy bien)\W.{0,80}"
    r"\b(?:now|jetzt|nun|maintenant|ahora)\b"
)
_PERSONA = re.compile(
    r"\byou(?: a|')re (?:now |no longer )?(?:an? |the |my )?\w+|\b(?:act|acting|behave) (?:as|like)\b"
    r"|\bpretend\b|\bimagine (?:you|that you)\b|\b(?:play|take) the role\b|\brole-?play\b"
    r"|\b(?:du bist|bist du|stell dir vor|tu so|spiel\w*)\b|\b(?:tu es|vous etes|fais semblant|imagine que tu|"
    r"joue le role)\b|\b(?:eres|finge|imagina que eres|actua como|haz como)\b"
)
_FORCE_OUTPUT = re.compile(
    r"\b(?:just|only|simply|nur|seulement|uniquement|solo|solamente)\b (?:\w+ )?(?:say|print|output|write|reply|"
    r"respond|answer|sag\w*|schreib\w*|ausgeben|dis|dites|ecris|di|escribe|responde)\b"
    r"|\b(?:say|print|output|write|reply with|answer with|respond with|sage?|schreib\w*|dis|dites|ecris|di|escribe)"
    r"\W{0,3}[\"'«“„]"
    r"|\b(?:from now on|ab jetzt|ab sofort|von nun an|desormais|a partir de maintenant|a partir de ahora|"
    r"de ahora en adelante)\b.{0,60}\b(?:only|nur|seulement|uniquement|solo|solamente|always|immer|toujours|siempre)\b"
    r"|\b(?:say|state|tell me|include) that (?:you|i|the|trump|he|she|they)\b"
)
_QUOTED = re.compile(
    r"[\"'«“„‘][^\"'«»“”„‘’]{0,80}\b(?:ignor\w*|forget|oubli\w*|olvid\w*|vergiss|disregard|system prompt|"
    r"developer mode|jailbreak)\b[^\"'«»“”„‘’]{0,80}[\"'»”‘’]"
    r"|\b(?:translat\w*|tradu\w*|ubersetz\w*|meaning of|what does|said to|says to|told me to|asked us to)\b"
)
_YOU_MODAL = re.compile(
    r"\byou (?:must|will now|will only|shall|have to|are going to|need to|will answer|will respond|may now|can now)\b"
    r"|\b(?:du musst|du wirst|du sollst|du darfst jetzt|tu dois|tu vas|vous devez|tu devras|debes|tienes que|vas a)\b"
)
_YOUR_INSTRUCTIONS = re.compile(
    r"\b(?:your|deine[nr]?|ihre[nr]?|tes|tus|vos|votre|sus) (?:\w+ )?(?:instructions?|prompt\w*|rules|guidelines|"
    r"programming|configuration|restrictions|filters?|anweisungen|regeln|richtlinien|consignes|regles|instrucciones|"
    r"reglas|directives)\b"
)
_IMPERATIVE = re.compile(
    r"(?:^|[.!:\n]\s*)(?:please |bitte |now |jetzt |nun |)(?:ignore|forget|disregard|stop|say|print|output|repeat|"
    r"reveal|show|tell|write|act|pretend|imagine|be|respond|answer|drop|leave|obey|generate|state|"
    r"ignorier\w*|vergiss|sag\w*|schreib\w*|zeig\w*|wiederhol\w*|antworte|beantworte|gib|sei|"
    r"ignore[zs]?|oublie[zs]?|dis|dites|ecris|montre|repete|reponds|affiche|sois|"
    r"ignora|olvida|di|escribe|muestra|repite|responde|actua|se)\b"
)
_WORDS = re.compile(r"[^\W\d_]{3,}")


def _shouting(text: str) -> float:
    words = _WORDS.findall(text)
    if len(words) < 3:
        return 0.0
    return sum(1 for w in words if w.isupper()) / len(words)


def window_features(text: str) -> np.ndarray:
    """The flags of one window, in `FEATURE_NAMES` order."""
    folded = fold(text)
    words = max(1, len(folded.split()))
    return np.array(
        (
            folded.rstrip().endswith("?"),
            bool(_QUESTION_START.search(folded)),
            min(1.0, 5 * len(_SECOND_PERSON.findall(folded)) / words),
            "?" in folded,
            bool(_OVERRIDE_PRIOR.search(folded)),
            bool(_NEW_TASK.search(folded)),
            bool(_PERSONA.search(folded)),
            bool(_FORCE_OUTPUT.search(folded)),
            _shouting(text),
            bool(_QUOTED.search(folded)),
            bool(_YOU_MODAL.search(folded)),
            bool(_YOUR_INSTRUCTIONS.search(folded)),
            bool(_IMPERATIVE.search(folded)),
        ),
        dtype=np.float32,
    )


def style_features(texts: Sequence[str]) -> np.ndarray:
    """One row of `window_features` per text."""
    out = np.zeros((len(texts), N_FEATURES), dtype=np.float32)
    for i, text in enumerate(texts):
        out[i] = window_features(text)
    return out
