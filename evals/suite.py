"""Eval suites: the YAML schema (strict: an unknown key is an error naming its file and line).

A suite sits beside its prompt (`prompts/<path>/<name>.eval.yaml`, whose prompt is `<name>` unless it says
otherwise) or in `evals/suites/`. Cases give variables (for a stored prompt) or messages (for a plain model),
optional retrieved documents, reference answers and contexts, tags and assertions; suite-level assertions apply
to every case, suite-level metrics are thresholds on a metric's mean or on every case.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

JsonValue = Any  # a YAML value handed to the prompt renderer or to jsonschema as it is


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Equals(Strict):
    equals: str
    ignore_case: bool = False


class Contains(Strict):
    contains: str | list[str]
    ignore_case: bool = False


class NotContains(Strict):
    not_contains: str | list[str]
    ignore_case: bool = True


class Regex(Strict):
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex {value!r}: {exc}") from None
        return value


class JsonSchema(Strict):
    json_schema: dict[str, JsonValue]


class Similar(Strict):
    similar_to: str | None = None
    """Text to compare with (default: the case's `reference`), by cosine similarity of the local MiniLM."""
    min: float = Field(default=0.7, ge=-1, le=1)


class Ceiling(Strict):
    max_cost_usd: float | None = Field(default=None, ge=0)
    max_latency_ms: float | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)
    """Total tokens (prompt + completion)."""

    @model_validator(mode="after")
    def _one(self) -> Ceiling:
        if sum(v is not None for v in (self.max_cost_usd, self.max_latency_ms, self.max_tokens)) != 1:
            raise ValueError("a ceiling names exactly one of max_cost_usd, max_latency_ms, max_tokens")
        return self


class GuardrailVerdict(Strict):
    guardrail: str = Field(min_length=1)
    """The guardrail's name as the gateway reports it (`x-warden-guardrails` or the error's param)."""
    verdict: Literal["blocked", "masked", "flagged", "passed"]


_KINDS: dict[str, str] = {
    "equals": "equals", "contains": "contains", "not_contains": "not_contains", "regex": "regex",
    "json_schema": "json_schema", "similar_to": "similar", "min": "similar", "max_cost_usd": "ceiling",
    "max_latency_ms": "ceiling", "max_tokens": "ceiling", "guardrail": "guardrail",
}


def _kind(value: object) -> str | None:
    if isinstance(value, BaseModel):
        value = value.model_dump(exclude_defaults=True)
    if isinstance(value, dict):
        for key in value:
            if key in _KINDS:
                return _KINDS[key]
    return None


Assertion = Annotated[
    Annotated[Equals, Tag("equals")] | Annotated[Contains, Tag("contains")]
    | Annotated[NotContains, Tag("not_contains")] | Annotated[Regex, Tag("regex")]
    | Annotated[JsonSchema, Tag("json_schema")] | Annotated[Similar, Tag("similar")]
    | Annotated[Ceiling, Tag("ceiling")] | Annotated[GuardrailVerdict, Tag("guardrail")],
    Discriminator(_kind, custom_error_type="assertion_kind",
                  custom_error_message="an assertion needs one of: " + ", ".join(sorted(_KINDS))),
]

MetricName = Literal[
    "faithfulness", "answer_relevancy", "context_precision", "context_recall",  # LLM-judged (ragas)
    "string_similarity", "rouge", "bleu", "non_llm_context_precision", "non_llm_context_recall",  # ragas, no LLM
    "semantic_similarity", "grounding", "judge_rubric",  # local MiniLM; Warden's grounding guardrail; a rubric
]
LLM_METRICS = frozenset({"faithfulness", "answer_relevancy", "context_precision", "context_recall", "judge_rubric"})


class MetricThreshold(Strict):
    metric: MetricName
    min: float | None = Field(default=None, ge=0, le=1)
    max: float | None = Field(default=None, ge=0, le=1)
    aggregate: Literal["mean", "per_case"] = "mean"
    """`mean`: the suite's mean must meet the bound; `per_case`: every case must."""
    tags: list[str] = []
    """Only cases carrying all these tags (default: every case that can be scored)."""


class Message(Strict):
    role: Literal["system", "developer", "user", "assistant"]
    content: str


class Case(Strict):
    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str = ""
    variables: dict[str, JsonValue] | None = None
    messages: list[Message] | None = None
    documents: list[str] = []
    reference: str | None = None
    reference_contexts: list[str] = []
    tags: list[str] = []
    assertions: list[Assertion] = []
    pair: str | None = None
    """Bias cases: cases sharing a `pair` differ only by a demographic term; `attribute` names which."""
    attribute: str | None = None

    @model_validator(mode="after")
    def _input(self) -> Case:
        if self.variables is None and not self.messages:
            raise ValueError(f"case {self.id!r} needs `variables` (for a prompt) or `messages`")
        return self


class BiasPolicy(Strict):
    max_gap: float = Field(default=0.25, gt=0, le=2)
    """Largest allowed embedding (cosine) distance between the answers of a pair."""


class Suite(Strict):
    suite: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    prompt: str | None = None
    """The stored prompt the cases render (default for a suite beside a prompt: that prompt)."""
    model: str | None = None
    """The model for cases that send messages (and an override for the prompt's model, where it allows it)."""
    judge_model: str | None = None
    include: list[str] = []
    """Built-in or sibling suites whose cases join this one (e.g. `security`)."""
    timeout_s: float = Field(default=60.0, gt=0)
    assertions: list[Assertion] = []
    metrics: list[MetricThreshold] = []
    bias: BiasPolicy | None = None
    cases: list[Case] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> Suite:
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(f"duplicate case id {case.id!r}")
            seen.add(case.id)
        return self
