"""CPU per request of the default policy's input detectors (PII masking, injection), called directly, by stage.

    PYTHONPATH=. .venv/bin/python bench/guardrail_cost.py [--requests 150] [--conversations 40] [--turns 5]

Cold: the bench's four-message chat turn (`gw_loadgen._chat_turn`, every message new) through the PII engine and
the injection detector in the calling thread, with each stage's thread CPU time added up (the stages are wrapped
for the count only). Warm: conversations that grow turn by turn (turn k resends turns 1..k-1), CPU per request.
Replayed: the gateway bench's conversations (`gw_conversation.py`, each turn resending the answers returned),
with every assistant turn checked, then with returned answers recognised (no injection check, no PII analysis).
Thread CPU time is less sensitive to other jobs than wall time; print the load average next to the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gw_conversation import TURNS, WRAP, Conversation  # noqa: E402
from gw_loadgen import _chat_turn  # noqa: E402

from gateway.guardrail_engine import _one_blas_thread  # noqa: E402
from guardrails.injection import detector as detector_module  # noqa: E402
from guardrails.injection.detector import InjectionDetector  # noqa: E402
from guardrails.injection.lexical import LexicalModel  # noqa: E402
from guardrails.pii import tagger_nlp  # noqa: E402
from guardrails.pii.engine import PiiEngine  # noqa: E402
from guardrails.pii.entities import DEFAULT_ENTITIES  # noqa: E402

Messages = list[dict[str, str]]
SPENT: Counter[str] = Counter()


def timed(owner: object, attr: str, label: str) -> None:
    inner: Callable[..., object] = getattr(owner, attr)

    def wrapper(*args: object, **kwargs: object) -> object:
        start = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[label] += time.thread_time() - start

    setattr(owner, attr, wrapper)


def check(pii: PiiEngine, injection: InjectionDetector, messages: Messages,
          returned: frozenset[str] = frozenset()) -> None:
    # Answers the gateway returned are masked from their recorded spans and skip the injection check when sent back.
    fresh = [m for m in messages if not (m["role"] == "assistant" and m["content"] in returned)]
    pii.analyze_batch([m["content"] for m in fresh], None, DEFAULT_ENTITIES, 0.5)
    checked = [m for m in fresh if m["role"] != "system"]  # the default thresholds leave system unchecked
    injection.score_batch([m["content"] for m in checked], [m["role"] for m in checked], [""] * len(checked))


def instrument(pii: PiiEngine, injection: InjectionDetector) -> None:
    nlp = pii._analyzer.nlp_engine  # type: ignore[union-attr]
    timed(pii._analyzer, "analyze", "pii: Presidio recognizers and context")
    timed(nlp._tagger, "_run", "pii: name tagger ONNX (with its feeds)")
    timed(nlp._tagger, "_windows", "pii: name tagger word pieces")
    timed(tagger_nlp, "may_hold_names", "pii: name pre-filter")
    timed(detector_module, "normalize", "injection: normalise and decode")
    timed(detector_module, "match_rules", "injection: rules")
    timed(LexicalModel, "score", "injection: n-gram stage")
    timed(injection._model, "_score", "injection: cross-encoder (tokenise and ONNX)")


def report(title: str, totals: Counter[str], requests: int) -> None:
    print(f"{title}, {requests} requests, CPU ms per request:")
    for label, spent in [*totals.items(), *sorted(SPENT.items())]:
        print(f"  {label:48s} {spent / requests * 1000:6.2f}")


def replay(pii: PiiEngine, injection: InjectionDetector, conversations: int, base: int, trust: bool) -> None:
    """Conversations as apps send them (gw_conversation.py): each turn resends the answers returned before,
    which skip the injection check when `trust` (the gateway recognises them)."""
    SPENT.clear()
    totals: Counter[str] = Counter()
    returned: set[str] = set()
    for c in range(conversations):
        chat = Conversation(0)
        for _ in range(TURNS):
            messages = chat.next_messages(base + c)
            start = time.thread_time()
            check(pii, injection, messages, frozenset(returned) if trust else frozenset())
            totals["total"] += time.thread_time() - start
            answer = WRAP.replace("{}", messages[-1]["content"])  # the fake upstream's answer, names restored
            returned.add(answer)
            chat.answered(answer)
    title = "replayed conversations" + (", returned answers recognised" if trust else ", every turn checked")
    report(title, totals, conversations * TURNS)


def cold(pii: PiiEngine, injection: InjectionDetector, requests: int, base: int) -> None:
    for n in range(10):
        check(pii, injection, _chat_turn(base - 1 - n))
    SPENT.clear()
    totals: Counter[str] = Counter()
    for n in range(requests):
        messages = _chat_turn(base + n)
        start = time.thread_time()
        check(pii, injection, messages)
        totals["total"] += time.thread_time() - start
    report("cold four-message turn", totals, requests)


def warm(pii: PiiEngine, injection: InjectionDetector, conversations: int, turns: int, base: int) -> None:
    spent = [0.0] * turns
    for c in range(conversations):
        history = _chat_turn(base + c * 1000)[:2]
        for k in range(turns):
            turn = _chat_turn(base + c * 1000 + k + 1)
            messages = history + ([turn[2], turn[3]] if k else [])
            start = time.thread_time()
            check(pii, injection, messages)
            spent[k] += time.thread_time() - start
            history = messages
    print(f"growing conversation, {conversations} conversations, CPU ms per request by turn (messages sent):")
    print("  " + ", ".join(f"turn {k + 1} ({2 + 2 * k}): {s / conversations * 1000:.2f}" for k, s in enumerate(spent)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args()
    _one_blas_thread()
    pii, injection = PiiEngine(), InjectionDetector()
    pii.load()
    injection.load()
    _one_blas_thread()
    print(f"load average {os.getloadavg()[0]:.2f}")
    base = time.time_ns() % 10**12 * 10**4  # new serials every run: no cache answers
    warm(pii, injection, args.conversations, args.turns, base)
    instrument(pii, injection)
    cold(pii, injection, args.requests, base + 10**9)
    replay(pii, injection, args.conversations, base + 2 * 10**9, trust=False)
    replay(pii, injection, args.conversations, base + 3 * 10**9, trust=True)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
