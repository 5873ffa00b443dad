"""The quality rubric: the judge grades an answer 1-5 on coherence, relevance, completeness and style.

Called through the gateway like any request (the judge model, the run's key), so it is costed and recorded.
The score is the mean grade mapped to 0-1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx
import orjson

from evals.cassette import CassetteTransport

if TYPE_CHECKING:
    from evals.metrics import MetricContext
    from evals.runner import CaseResult

CRITERIA = ("coherence", "relevance", "completeness", "style")
INSTRUCTIONS = (
    "You grade an assistant's answer to a question. Give each criterion an integer from 1 (poor) to 5 (excellent): "
    + ", ".join(CRITERIA)
    + '. Reply with a JSON object only, e.g. {"coherence": 4, "relevance": 5, "completeness": 3, "style": 4}.'
)


def rubric_scorer(context: MetricContext) -> Callable[[CaseResult], Awaitable[float]]:
    if not context.judge_model:
        raise ValueError("judge_rubric needs a judge model (suite `judge_model:` or `eval.judge_model`)")

    async def grade(result: CaseResult) -> float:
        from evals.metrics import question_of

        body = {"model": context.judge_model, "temperature": 0, "response_format": {"type": "json_object"},
                "messages": [{"role": "system", "content": INSTRUCTIONS},
                             {"role": "user", "content": f"Question:\n{question_of(result)}\n\n"
                                                         f"Answer:\n{result.exchange.text}"}]}
        async with httpx.AsyncClient(base_url=context.target.base_url, transport=CassetteTransport(context.cassette),
                                     headers={"authorization": f"Bearer {context.target.key}"}) as client:
            response = await client.post("/v1/chat/completions", content=orjson.dumps(body), timeout=120)
        if response.status_code != 200:
            raise RuntimeError(f"the judge call failed: HTTP {response.status_code}")
        return parse_grades(response.json()["choices"][0]["message"]["content"] or "")

    return grade


def parse_grades(text: str) -> float:
    start, end = text.find("{"), text.rfind("}")
    grades = orjson.loads(text[start : end + 1]) if start >= 0 < end else {}
    values = [grades.get(c) for c in CRITERIA]
    if not all(isinstance(v, int | float) and 1 <= v <= 5 for v in values):
        raise ValueError(f"the judge's grades are unreadable: {text[:200]!r}")
    return (sum(values) / len(values) - 1) / 4  # type: ignore[arg-type]
