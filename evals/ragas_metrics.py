"""ragas metrics over the eval's cases. The judge is ragas' LLM wrapper over langchain's ChatOpenAI pointed at the
gateway's own /v1 with the run's key, so every judge call is routed, guarded and costed like any other (and
recorded in the cassette with the cases). Embeddings come from the packaged MiniLM, never from a hub.

Imported only when a suite asks for a ragas metric: ragas brings langchain, which the server never loads.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from evals.metrics import MetricContext

# Offline: ragas reports usage unless told not to; tiktoken reads encodings from litellm's bundled copies.
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
os.environ.setdefault("LANGCHAIN_TRACING_V2", "false")


def _tiktoken_cache() -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("litellm")
    if spec and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations))) / "litellm_core_utils" / "tokenizers"
        if folder.is_dir():
            os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(folder))


_tiktoken_cache()

NON_LLM = {"string_similarity", "rouge", "bleu", "non_llm_context_precision", "non_llm_context_recall"}
LLM = {"faithfulness", "answer_relevancy", "context_precision", "context_recall"}


def build_metric(name: str, context: MetricContext) -> Any:
    from ragas import metrics as m

    if name in NON_LLM:
        return {"string_similarity": m.NonLLMStringSimilarity, "rouge": m.RougeScore, "bleu": m.BleuScore,
                "non_llm_context_precision": m.NonLLMContextPrecisionWithReference,
                "non_llm_context_recall": m.NonLLMContextRecall}[name]()
    llm = judge_llm(context)
    if name == "faithfulness":
        return m.Faithfulness(llm=llm)
    if name == "answer_relevancy":
        return m.ResponseRelevancy(llm=llm, embeddings=MiniLMEmbeddings(context), strictness=1)
    if name == "context_precision":
        return m.LLMContextPrecisionWithReference(llm=llm)
    if name == "context_recall":
        return m.LLMContextRecall(llm=llm)
    raise KeyError(name)


def judge_llm(context: MetricContext) -> Any:
    from langchain_openai import ChatOpenAI
    from ragas.llms import LangchainLLMWrapper

    if not context.judge_model:
        raise ValueError("an LLM-judged metric needs a judge model: suite `judge_model:`, --judge-model or "
                         "`eval.judge_model` in the config")
    from evals.cassette import CassetteTransport

    client = httpx.AsyncClient(transport=CassetteTransport(context.cassette), timeout=120)
    chat = ChatOpenAI(model=context.judge_model, base_url=context.target.base_url + "/v1",
                      api_key=context.target.key, temperature=0, max_retries=0, http_async_client=client)
    return LangchainLLMWrapper(chat)


def sample(question: str, answer: str, reference: str | None, documents: list[str],
           reference_contexts: list[str]) -> Any:
    from ragas.dataset_schema import SingleTurnSample

    return SingleTurnSample(user_input=question, response=answer, reference=reference,
                            retrieved_contexts=documents or None, reference_contexts=reference_contexts or None)


async def score(metric: Any, item: Any) -> float:
    value = await metric.single_turn_ascore(item)
    return float(value)


class MiniLMEmbeddings:
    """ragas' embeddings interface over the guardrails' shared MiniLM (a packaged model, loaded once)."""

    def __init__(self, context: MetricContext) -> None:
        self._context = context

    def embed_query(self, text: str) -> list[float]:
        return self._context.encode([text])[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._context.encode(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def embed_text(self, text: str, is_async: bool = True) -> list[float]:
        return self.embed_query(text)

    async def embed_texts(self, texts: list[str], is_async: bool = True) -> list[list[float]]:
        return self.embed_documents(texts)

    def set_run_config(self, run_config: object) -> None:
        return None
