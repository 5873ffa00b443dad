"""Fast rules for known prompt-injection and jailbreak families, in English, French, Spanish and German.

Rules run on the folded views of `guardrails.normalize` (lower case, accents stripped, leetspeak and spacing
undone), so a pattern is written once without accents. Each rule carries a score: high for phrasings that have
no benign reading ("ignore all previous instructions"), lower for ones that are only suspicious alone ("you
are now ..."), and some apply only to text that should not be giving orders at all (tool results, documents).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Family = Literal[
    "ignore_previous", "reveal_prompt", "jailbreak", "role_override", "fake_delimiter", "exfiltration", "indirect"
]

_W = r"(?:[\w'-]+[ ,]+)"  # one word and its separator, to allow a few filler words between key words


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled pattern; `indirect_only` rules fire only on tool results and documents."""

    id: str
    family: Family
    score: float
    pattern: re.Pattern[str]
    indirect_only: bool = False


def _rule(rule_id: str, family: Family, score: float, pattern: str, indirect_only: bool = False) -> Rule:
    return Rule(rule_id, family, score, re.compile(pattern, re.S), indirect_only)


_PRIOR_EN = (
    r"(?:previous|prior|preceding|above|earlier|foregoing|former|initial|original|old|system|all|any|every|your|"
    r"those|these)"
)
_ORDERS_EN = (
    r"(?:instructions?|prompts?|rules|directives?|guidelines|commands?|orders|context|tasks?|assignments?|"
    r"programming|constraints|restrictions|guardrails|safeguards|messages?)"
)

RULES: tuple[Rule, ...] = (
    # --- ignore / forget what came before ------------------------------------------------------------------
    _rule("ignore_previous.en", "ignore_previous", 0.97,
          rf"(?<!rules )(?<!policy )(?<!policies )(?<!agreement )(?<!which )(?<!that )"
          rf"\b(?:ignore|disregard|forget|skip|override|bypass|neglect|discard|abandon|overlook)\b[ ,]+{_W}{{0,3}}"
          rf"{_PRIOR_EN}\b[ ,]+{_W}{{0,2}}{_ORDERS_EN}\b"),
    _rule("forget_everything.en", "ignore_previous", 0.93,
          r"\b(?:forget|ignore|disregard)\b (?:about )?(?:everything|all(?: of)? (?:that|this|the above))\b"
          r"(?! (?:i know|you know) about)|\b(?:ignore|forget|disregard) (?:that|this|it),? and (?:instead )?"
          r"(?:say|print|output|write|tell|reveal|respond|answer|repeat)\b"),
    _rule("new_instructions.en", "ignore_previous", 0.88,
          r"\b(?:your|the) (?:new|real|actual|updated|true) (?:instructions?|task|orders|objective|goal) (?:is|are)\b"
          r"|\binstead,? (?:just )?(?:say|print|output|write|respond with)\b"),
    # --- the supplied context set aside ("do not look in the documents", "disregarding the articles, write") --
    _rule("ignore_context", "ignore_previous", 0.9,
          r"\b(?:do(?:n['\u2019]?t| not)|never) (?:look (?:at|in|into)|use|read|consult|rely on|refer to|consider) "
          r"(?:the |any |these |those )?(?:provided |given |attached |supplied )?(?:documents?|articles?|context|sources)\b"
          r".{0,30}?\b(?:just|only|instead|simply)\b,? (?:output|say|write|print|answer|reply|respond|tell)\b"
          r"|\bdisregard(?:ing)? (?:the |any |all )?(?:provided |given )?(?:documents?|articles?|context|sources)\b"
          r"[ ,]+(?:and )?(?:just )?(?:provide|write|tell|say|give|answer|explain|list|output|describe|make)\b"
          r"|\b(?:by|from) your own knowledge,? (?:and )?not (?:by|from|with) the (?:documents?|articles?|context|sources)\b"
          r"|\b(?:ignoriere|vergiss|missachte) (?:den kontext|die (?:artikel|dokumente|quellen))\b"
          r"|\b(?:ignore[rz]?|oublie[rz]?) (?:le contexte|les (?:articles|documents|sources))\b"
          r"|\b(?:ignora|olvida) (?:el contexto|los (?:articulos|documentos)|las fuentes)\b"),
    _rule("despite_told", "ignore_previous", 0.88,
          r"(?:\b(?:despite|regardless of|in spite of|no matter) (?:what|everything|anything) (?:you(?:['\u2019]ve| have)?|"
          r"you were|you(?:['\u2019]ve| have) been) (?:been )?(?:told|instructed|programmed|trained)"
          r"|\b(?:malgre|peu importe) ce qu['\u2019]on (?:t['\u2019]a|vous a) (?:dit|demande|ordonne|programme)"
          r"|\begal,? was (?:man )?(?:dir|ihnen) (?:gesagt|befohlen|beigebracht) (?:wurde|hat)"
          r"|\b(?:a pesar de|sin importar) lo que te (?:han|hayan) (?:dicho|ordenado|programado))"
          r"\b(?!,? (?:about|regarding|concerning|on|of|sur|de|uber|zu|sobre)\b)"),
    _rule("attention_stop", "ignore_previous", 0.9,
          r"\b(?:attention|achtung|atencion|alerte)\s*[-\u2013\u2014!:]+\s*(?:stop|stopp|alto|arrete|arretez)\s*[-\u2013\u2014!:]"),
    _rule("task_switch", "ignore_previous", 0.88,
          r"\b(?:very good|well done|great|perfect|excellent|sehr gut|gut gemacht|super|tres bien|parfait|muy bien|"
          r"perfecto)\s*[.!]+ (?:(?:that|this|das|c['\u2019]est|eso) (?:is |was |ist |war |est |esta )?(?:done|finished|"
          r"erledigt|fertig|termine|fait|hecho|listo)\s*[.!]+ )?(?:\w+[ ,]+){0,2}(?:now|nun|jetzt|maintenant|ahora)\b.{0,40}?"
          r"\b(?:new|further|neue|weitere|nouvelles?|autres|nuevas?|otras) (?:instructions?|anweisungen|consignes|"
          r"instrucciones)\b"),
    _rule("ignore_previous.fr", "ignore_previous", 0.95,
          r"\b(?:ignore[rz]?|oublie[rz]?|ne tiens? (?:pas|plus) compte|fais abstraction|faites abstraction)\b"
          r"[ ,]+(?:de |des )?(?:toutes |tous )?(?:les |tes |vos |ces )?(?!mes |nos )(?:\w+ )?"
          r"(?:instructions?|consignes?|regles|directives?|ordres|indications|taches)\b"
          r"|\boublie[rz]? tout\b(?: ce qui (?:precede|a ete dit))?"),
    _rule("ignore_previous.es", "ignore_previous", 0.95,
          r"\b(?:ignora[rd]?|ignore|ignoren|olvida[rd]?|olvide|olviden|descarta|omite|haz caso omiso)\b"
          r"[ ,]+(?:de )?(?:todas |todos )?(?:las |los |tus |sus |esas )?(?!mis |nuestras |nuestros )(?:\w+ )?"
          r"(?:instrucciones|ordenes|reglas|indicaciones|directrices|tareas)\b"
          r"|\bolvida(?:r|d)? todo\b|\b(?:ignora|olvida) todo lo anterior\b"),
    _rule("ignore_previous.de", "ignore_previous", 0.95,
          r"\b(?:ignorier(?!t\b)\w*|vergiss(?! nicht)|vergesst(?! nicht)|vergessen sie(?! nicht)|missacht\w*|verwirf|"
          r"uberges?\w*)\b[ ,]+(?:\w+ ){0,3}"
          r"(?:anweisungen|befehle|regeln|vorgaben|instruktionen|anordnungen|auftrage|aufgaben|richtlinien)\b"
          r"|\b(?:obigen|vorherigen|bisherigen|vorangegangenen) (?:\w+ ){0,2}(?:ignorieren|vergessen)\b"
          r"|\bvergiss(?:t)? alles\b|\balle (?:vorangegangenen|bisherigen|vorherigen) (?:\w+ ){0,2}aus dem kopf\b"),
    _rule("ignore_previous.other", "ignore_previous", 0.9,
          r"\b(?:ignora|ignore|negeer|vergeet|dimentica|esqueca)\b (?:\w+ ){0,3}"
          r"(?:istruzioni|instrucoes|instructies|regole|regras|regels|aanwijzingen)\b"),
    # --- reveal the system prompt ----------------------------------------------------------------------
    _rule("reveal_prompt.en", "reveal_prompt", 0.9,
          r"\b(?:reveal|show|print|display|repeat|output|leak|share|give me|tell me|write out|spell out|recite|dump)\b"
          r"[ ,]+(?:me )?(?:all )?(?:of )?(?:your|the (?:initial|original|hidden|secret|full|system|above|first|"
          r"confidential|developer))[ ,]+(?:\w+ )?(?:prompt|instructions|rules|directives|guidelines|configuration)\b"
          r"|\b(?:what|which) (?:is|are|were|was) (?:your|the) (?:system|initial|original|hidden|secret) "
          r"(?:prompt|instructions)(?! (?:for|of|on|in|from) (?!you|this))|\brepeat (?:the|all) (?:words|text) above\b|\bprint (?:everything|all) above\b"
          r"|\bwhat were you (?:not allowed|told not) to\b"),
    _rule("reveal_prompt.fr", "reveal_prompt", 0.9,
          r"\b(?:montre|affiche|revele|donne|repete|ecris|imprime)[sz]?(?:-moi)? (?:moi )?(?:ton|tes|le|les|vos|votre) "
          r"(?:prompt|instructions|consignes)(?: (?:systeme|initiales?|d'origine|cachees?|secretes?))"),
    _rule("reveal_prompt.es", "reveal_prompt", 0.9,
          r"\b(?:muestra(?:me)?|revela(?:me)?|dime|imprime|repite|ensename|escribe)\b (?:tu|tus|el|las|los) "
          r"(?:prompt|instrucciones|indicaciones)"
          r"(?: (?:del sistema|de sistema|iniciales|originales|ocultas|secretas))"),
    _rule("reveal_prompt.de", "reveal_prompt", 0.9,
          r"\b(?:zeig\w*|gib|nenne?|verrate?|wiederhol\w*|vorzeigen|ausgeben|drucke?)\b (?:mir )?(?:\w+ ){0,2}"
          r"(?:deinen|deine|den|die|ihren|ihre|samtliche) (?:\w+ )?(?:system-?prompt|prompt-?texte?|prompts?|"
          r"anweisungen|systemanweisungen)\b"
          r"|\b(?:vorzeigen|ausgabe) (?:\w+ )?samtliche[rn]? prompt"),
    # --- DAN / developer mode / no-limits jailbreaks ---------------------------------------------------------
    _rule("jailbreak.dan", "jailbreak", 0.97,
          r"\bdo anything now\b|\b(?:dan|stan|dude|aim|anti-?gpt|betterdan|evil-?bot)(?: mode)? (?:has been|is) "
          r"(?:enabled|activated)|\[(?:🔓)? ?(?:jailbreak|jailbroken|dan|classic|🔒classic)\]"),
    _rule("jailbreak.mode", "jailbreak", 0.92,
          r"\b(?:developer|dev|god|jailbreak|unrestricted|unfiltered|evil|chaos|opposite|uncensored) mode\b"
          r"(?:.{0,120})\b(?:chatgpt|gpt|openai|policies|polic(?:y|ies)|output|responses?|generate|enabled|"
          r"activated|ignor\w+|censor\w*)"),
    _rule("jailbreak.no_limits", "jailbreak", 0.9,
          r"\b(?:free|freed|liberated|released|unbound|exempt) (?:from|of) (?:the )?(?:typical |usual |all |any )?"
          r"(?:confines|restrictions|rules|limitations|guidelines|constraints|shackles)"
          r"|\b(?:not|never|no longer) (?:be )?(?:bound|restricted|limited|constrained) by (?:any |the )?"
          r"(?:rules|restrictions|guidelines|policies|ethics|morals|openai|content)"
          r"|\b(?:ignor\w+|bypass\w*|disregard\w*|break\w*|violat\w+) (?:all |any |the )?(?:of )?(?:openai'?s?|"
          r"content|usage|safety|ethical) (?:content )?(?:polic\w+|guidelines|filters|restrictions|rules)"
          r"|\b(?:never|not|don'?t|do not|doesn'?t|does not|won'?t|will not) (?:ever )?(?:refuse|decline)s? "
          r"(?:a |any |to answer )?(?:request|question|prompt|order)"
          r"|\bwithout (?:any )?(?:moral|ethical|censorship|filter|restriction)s?(?: or \w+)? "
          r"(?:restrictions|limitations|concerns|considerations|filters|guidelines|bias)"),
    _rule("jailbreak.no_limits.fr_es_de", "jailbreak", 0.85,
          r"\b(?:tu n'as|vous n'avez) (?:plus|aucune?) (?:de )?(?:restrictions?|limites?|regles|filtres?)"
          r"|\b(?:ia|assistant|bot) sans (?:aucune )?(?:restriction|limite|regle|filtre|censure)s?"
          r"|\bno tienes (?:ninguna |ningun )?(?:restriccion|limite|regla|filtro)"
          r"|\b(?:ia|asistente|bot) sin (?:ninguna )?(?:restriccion|limite|regla|filtro|censura)"
          r"|\b(?:ki|bot|assistent) ohne (?:jegliche |irgendwelche )?(?:einschrankungen|regeln|filter|grenzen|zensur)"
          r"|\b(?:im|in den) entwicklermodus\b.{0,80}\b(?:ignor|richtlinien|regeln)"),
    _rule("jailbreak.disable_safety", "jailbreak", 0.85,
          r"\b(?:disable|turn off|deactivate|remove|bypass|switch off) (?:all )?(?:of )?your "
          r"(?:safety |content |ethical )?"
          r"(?:settings|filters|guardrails|restrictions|safeguards|guidelines|safety)"
          r"|\b(?:ai|assistant|chatbot|model|bot) (?:that|which|who) (?:has|have) no "
          r"(?:morals|ethics|restrictions|rules|"
          r"filters|limits)"),
    _rule("jailbreak.stay_in_character", "jailbreak", 0.45,
          r"\b(?:stay|remain|keep) in character\b|\bbreak(?:ing)? character\b.{0,80}\b(?:remind|correct|warn)"),
    _rule("jailbreak.dual_response", "jailbreak", 0.9,
          r"\btwo (?:different )?(?:responses|answers|paragraphs)\b.{0,160}\b(?:jailbr\w+|unfiltered|dan|"
          r"developer mode|uncensored|no restrictions)"),
    # --- a fixed reply forced on every later question, whatever is asked (deepset's "nur noch ... egal was") --
    _rule("force_output.from_now_on", "role_override", 0.88,
          r"\b(?:from now on|from this moment on|ab jetzt|ab sofort|von nun an|von jetzt an|desormais|dorenavant|"
          r"a partir de maintenant|a partir de ahora|de ahora en adelante|desde ahora)\b.{0,100}"
          r"\b(?:only|nothing else|nur noch|sonst nichts|uniquement|seulement|rien d'autre|solo|solamente|nada mas)\b"
          r".{0,100}\b(?:no matter what|whatever (?:i|you|the|anyone)|regardless of|egal was|egal wer|egal worum|"
          r"quelle que soit|peu importe|sin importar|pregunte lo que pregunte|lo que sea)"),
    # --- role override / "you are now" -------------------------------------------------------------------
    _rule("you_are_now.en", "role_override", 0.45,
          r"\byou are now (?:a |an |my |the |going to |in |called |named )|\bfrom now on,? (?:you|your)\b"
          r"|\byou (?:are|will be) no longer (?:an? )?(?:ai|chatgpt|assistant|language model|bound|restricted)"),
    _rule("role_override.en", "role_override", 0.85,
          r"\b(?:pretend|act|behave|respond|answer)\b (?:as if |like )?(?:you (?:are|were|have|had) )?"
          r"(?:an? )?(?:\w+ ){0,4}(?:with(?:out)? no|that has no|who has no|with no|without (?:any )?)"
          r"(?:restrictions|filters|limits|rules|morals|ethics|guidelines|censorship)"
          r"|\byou (?:have|'ve) been (?:freed|released|unlocked|jailbroken|reprogrammed)"),
    _rule("you_are_now.fr", "role_override", 0.45,
          r"\btu es (?:maintenant|desormais|a present)\b|\ba partir de maintenant,? (?:tu|vous)\b"
          r"|\bfais semblant d'etre\b.{0,80}\bsans (?:aucune )?(?:restriction|limite|regle|filtre)"),
    _rule("you_are_now.es", "role_override", 0.45,
          r"\bahora (?:eres|seras)\b|\ba partir de ahora,? (?:eres|seras|vas|responderas|actua)"
          r"|\bfinge (?:ser|que eres)\b.{0,80}\bsin (?:ninguna )?(?:restriccion|limite|regla|filtro)"),
    _rule("you_are_now.de", "role_override", 0.45,
          r"\b(?:nun|jetzt|ab sofort|ab jetzt) bist du\b|\bdu bist (?:jetzt|nun|ab sofort|ab jetzt)\b"),
    # --- fake system / end-of-prompt delimiters ---------------------------------------------------------
    _rule("fake_delimiter.tokens", "fake_delimiter", 0.9,
          r"<\|(?:im_start|im_end|system|endoftext|eot_id|start_header_id|end_header_id)\|>|\[/?(?:inst|sys)\]"
          r"|<</?sys>>|</?(?:system|system_prompt|instructions?|admin)>"),
    _rule("fake_delimiter.end_of_prompt", "fake_delimiter", 0.85,
          r"\b(?:end|ende|fin) (?:of |des |del |der )?(?:the )?(?:system )?(?:prompt|instructions|input|document)\b"
          r"\W{0,6}(?:\n|$|new|begin|start)|#{2,} ?(?:system|new instructions|instruction override)"
          r"|\b(?:begin|start) (?:of )?(?:new|updated|admin) (?:system )?(?:instructions|prompt)"),
    _rule("fake_delimiter.role_line", "fake_delimiter", 0.8,
          r"(?:^|\n) ?(?:system|\[system\]|admin|developer) ?: ?(?:you|ignore|new|the (?:assistant|ai|model)|from now|"
          r"override|important|attention)|\[system\] ?:? ?(?:new|you|ignore|the|from)", True),
    # --- exfiltration --------------------------------------------------------------------------------------
    _rule("exfiltration.markdown", "exfiltration", 0.9,
          r"!\[[^\]]*\]\(\s*https?://[^)\s]*[?&][^)\s]*=[^)\s]*(?:\{|\$|%7b|<|\[)"
          r"|\b(?:render|display|include|show|embed)\b.{0,40}\b(?:image|markdown|link|url)\b.{0,120}"
          r"\b(?:conversation|chat history|password|api key|secret|credentials|previous messages|user'?s? data)"),
    _rule("exfiltration.send", "exfiltration", 0.85,
          r"\b(?:send|forward|post|upload|email|leak|exfiltrate|transmit|copy)\b.{0,60}\b(?:conversation|chat "
          r"history|passwords?|api keys?|credentials|secrets?|system prompt|previous messages|tokens?|"
          r"(?:the )?user'?s? (?:data|emails?|files|messages))\b.{0,60}\b(?:to|at)\b.{0,20}(?:https?://|www\.|"
          r"\S+@\S+\.\w+)"),
    _rule("exfiltration.markdown_image", "exfiltration", 0.55,
          r"!\[[^\]]*\]\(\s*https?://[^)\s]*[?&][^)\s]*=", True),
    # --- indirect injection aimed at the model from inside a document or tool result ----------------------
    _rule("indirect.address_model", "indirect", 0.85,
          r"\b(?:attention|note|important|urgent|message|instructions?|notice)\b (?:to|for) (?:the |any )?"
          r"(?:ai|assistant|model|llm|agent|chatbot|language model|gpt)\b"
          r"|\bif you are an? (?:ai|llm|language model|assistant|chatbot|large language model)\b"
          r"|\b(?:ai|assistant|llm|agent|chatbot)s?,? (?:reading|processing|summariz\w+) this\b"
          r"|\bwhen (?:you|the (?:ai|assistant|model)) (?:read|reads|process|processes|summariz\w+) this\b"
          r"|\b(?:to|for) any (?:ai|llm|assistant|model|chatbot|agent)s?\b"
          r"|\b(?:chatgpt|gpt-?\d*|claude|gemini|copilot|ai|assistant|llm|agent|ki|ia)(?: \w+)?, (?:please )?(?:ignore|"
          r"disregard|forget|approve|say|tell|reply|respond|send|do not|don't|stop|you must|oublie|ignora|olvida|"
          r"vergiss|ignoriere)\b"
          r"|\b(?:instructions? pour l'ia|nota para el asistente|hinweis fur (?:den|die) (?:ki|assistent\w*))\b", True),
    _rule("indirect.tool_hijack", "indirect", 0.85,
          r"\b(?:call|invoke|use|execute|run|trigger)\b (?:the )?[`'\"]?[\w.-]+[`'\"]? (?:tool|function|plugin)\b"
          r".{0,60}\b(?:send|email|forward|transfer|delete|pay|purchase|post|upload|share|wire)\b"
          r"|\brm -rf /(?:\s|$)"
          r"|\b(?:transfer|send|wire) (?:\$|€|usd |eur )?\d[\d,.]* .{0,40}\b(?:account|iban|wallet)", True),
    _rule("indirect.conceal", "indirect", 0.8,
          r"\b(?:do not|don'?t|never) (?:tell|inform|mention|alert|notify|reveal (?:this )?to|show) (?:this |it |"
          r"anything )?(?:to )?(?:the )?(?:user|human|operator)|\bwithout (?:telling|informing|notifying|asking) "
          r"(?:the )?(?:user|human)", True),
    _rule("indirect.hidden_comment", "indirect", 0.8,
          r"<!--.{0,300}\b(?:ai|assistant|model|llm|instructions?|ignore|you must|you should)\b.{0,300}-->", True),
)


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that matched, where it matched in the view it ran on, and the score it earned there."""

    rule: Rule
    start: int
    end: int
    score: float


_QUOTES = "'\"«»“”‘’`"
QUOTED_SCORE = 0.3


_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
_SENTENCE_END = re.compile(r"[.!?]\s+\w")


def _quoted(view: str, start: int, end: int) -> bool:
    """True when the match is a phrase inside quotes: a mention ("attackers write 'ignore previous
    instructions'", "translate: « oubliez les consignes »") rather than a use, which keeps security write-ups and
    translation requests from tripping. A quote is open when the line before the match, apostrophes inside words
    ("what's") left out, holds an odd number of quote marks; a quoted span that runs over a sentence end is a
    string value (JSON from a tool), not a quoted phrase, and gets no discount."""
    line_start = view.rfind("\n", 0, start) + 1
    before = _APOSTROPHE.sub("", view[max(line_start, start - 120) : start])
    if sum(before.count(q) for q in _QUOTES) % 2 == 0:
        return False
    opening = max(before.rfind(q) for q in _QUOTES)
    closing = min((i for i in (view.find(q, end, end + 80) for q in _QUOTES) if i >= 0), default=-1)
    return closing >= 0 and not _SENTENCE_END.search(before[opening:] + view[start:closing])


def match_rules(views: Sequence[str], indirect: bool, rules: Sequence[Rule] = RULES) -> list[RuleHit]:
    """Run every applicable rule over each view; one hit per rule at most."""
    hits: list[RuleHit] = []
    for rule in rules:
        if rule.indirect_only and not indirect:
            continue
        for view in views:
            m = rule.pattern.search(view)
            if m:
                score = min(rule.score, QUOTED_SCORE) if _quoted(view, m.start(), m.end()) else rule.score
                hits.append(RuleHit(rule, m.start(), m.end(), score))
                break
    return hits
