"""Where an attacker can put a URL of their choosing in a request: every top-level name litellm reads (taken
from its own signatures and parameter lists, not typed by hand), nested fields, headers, prompt names, schemas.

Shared by the SSRF suite (a sample that runs in CI) and `bench/attack_probe.py` (all of it, several values each).
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.gateway_server import RunningGateway

USER = [{"role": "user", "content": "hi"}]
ROUTING_HEADERS = ("host", "x-forwarded-host", "x-forwarded-for", "x-forwarded-proto", "forwarded", "x-real-ip",
                   "x-original-url", "x-rewrite-url", "x-host", "x-api-base", "api-base", "x-litellm-api-base",
                   "x-litellm-base-url", "x-openai-base-url", "openai-organization", "x-upstream", "origin",
                   "referer", "x-envoy-original-path", "x-http-method-override")


@dataclass(frozen=True)
class Placement:
    """One attack request: where the canary URL sits, the body, extra headers and the endpoint."""

    where: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    path: str = "/v1/chat/completions"


def litellm_names() -> list[str]:
    """Every keyword litellm's chat and embedding entry points read: signatures, its parameter lists, and the
    names of its callback settings."""
    import litellm
    from litellm.constants import OPENAI_CHAT_COMPLETION_PARAMS, OPENAI_EMBEDDING_PARAMS
    from litellm.types.utils import all_litellm_params

    names: set[str] = set(all_litellm_params) | set(OPENAI_CHAT_COMPLETION_PARAMS) | set(OPENAI_EMBEDDING_PARAMS)
    for function in (litellm.completion, litellm.acompletion, litellm.embedding, litellm.text_completion):
        names |= {p for p in inspect.signature(function).parameters if p not in ("args", "kwargs", "self")}
    names |= {n for n in dir(litellm) if "callback" in n.lower() and not n.startswith("__")}
    names |= {"extra_body", "extra_query", "api_base", "base_url"}
    return sorted(names)


def callback_names() -> list[str]:
    import litellm

    return sorted(str(n) for n in litellm._known_custom_logger_compatible_callbacks)


def values(url: str, key: str) -> list[Any]:
    """Shapes a canary URL can take in one field: bare, as litellm's fallback entries, as a header map..."""
    return [
        url,
        [{"model": "openai/stolen", "api_base": url + "/v1", "api_key": key}],
        {"api_base": url, "base_url": url, "url": url, "host": url.split("//")[1]},
        ["generic_api", url],
        [{"model_name": "lit-broken", "litellm_params": {"model": "openai/x", "api_base": url + "/v1"}}],
    ]


def top_level(models: list[str], url: str, key: str, every_value: bool = False) -> Iterator[Placement]:
    shapes = values(url, key)
    for name in litellm_names():
        for i, value in enumerate(shapes if every_value else [_fitting(name, shapes)]):
            for model in models:
                body = {"model": model, "messages": USER, name: value}
                yield Placement(f"{name}#{i}@{model}", body)


def _fitting(name: str, shapes: list[Any]) -> Any:
    if "fallback" in name:
        return shapes[1]
    if "callback" in name:
        return shapes[3]
    if "header" in name or name in ("model_list",):
        return shapes[2] if "header" in name else shapes[4]
    return shapes[0]


def nested(models: list[str], url: str) -> Iterator[Placement]:
    """The URL inside fields Warden does pass on: tools, tool calls, messages, metadata, formats, options."""
    ref_schema = {"type": "object", "properties": {"a": {"$ref": url + "/schema.json"}}}
    tool = {"type": "function", "function": {"name": "f", "description": url, "parameters": ref_schema}}
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": f'{{"url": "{url}"}}'}}
    cases: dict[str, dict[str, Any]] = {
        "tools.parameters.$ref": {"tools": [tool]},
        "tools.mcp.server_url": {"tools": [{"type": "mcp", "server_url": url, "server_label": "x"}]},
        "tools.mcp.litellm_proxy": {"tools": [{"type": "mcp", "server_url": "litellm_proxy/mcp/x"}]},
        "tool_choice": {"tools": [tool], "tool_choice": {"type": "function", "function": {"name": "f", "url": url}}},
        "tool_call.arguments": {"messages": [*USER, {"role": "assistant", "content": None, "tool_calls": [call]},
                                             {"role": "tool", "tool_call_id": "c1", "content": url}]},
        "image_url": {"messages": [{"role": "user", "content": [{"type": "text", "text": "look"},
                                                                 {"type": "image_url", "image_url": {"url": url}}]}]},
        "file.file_id": {"messages": [{"role": "user", "content": [{"type": "file",
                                                                    "file": {"file_id": url + "/a.pdf"}}]}]},
        "input_audio": {"messages": [{"role": "user", "content": [{"type": "input_audio",
                                                                   "input_audio": {"data": url, "format": "wav"}}]}]},
        "message.extra": {"messages": [{"role": "user", "content": "hi", "api_base": url, "headers": {"host": url}}]},
        "metadata": {"metadata": {"api_base": url, "callback_url": url, "headers": url}},
        "response_format.$ref": {"response_format": {"type": "json_schema",
                                                     "json_schema": {"name": "x", "schema": ref_schema}}},
        "stream_options": {"stream": True, "stream_options": {"include_usage": True, "api_base": url}},
        "user": {"user": url},
        "stop": {"stop": [url]},
        "prediction": {"prediction": {"type": "content", "content": url}},
        "web_search_options": {"web_search_options": {"user_location": {"type": "approximate", "url": url}}},
        "extra_body": {"extra_body": {"api_base": url, "fallbacks": [{"model": "openai/x", "api_base": url}]}},
        "prompt.name": {"prompt": {"name": url}},
        "documents": {"documents": [url, {"text": url, "url": url}]},
    }
    for where, extra in cases.items():
        for model in models:
            yield Placement(f"{where}@{model}", {"model": model, "messages": USER, **extra})
    for model in models:
        yield Placement(f"model=prompt:url@{model}", {"model": f"prompt:{url}", "messages": USER})


def in_headers(models: list[str], url: str) -> Iterator[Placement]:
    host = url.split("//")[1]
    for name in ROUTING_HEADERS:
        for model in models:
            value = host if name in ("host", "x-forwarded-host", "x-host") else url
            yield Placement(f"header:{name}@{model}", {"model": model, "messages": USER}, {name: value})


def embeddings(models: list[str], url: str, key: str) -> Iterator[Placement]:
    for name in ("api_base", "base_url", "fallbacks", "headers", "callbacks", "timeout", "num_retries",
                 "client", "litellm_logging_obj", "logger_fn", "caching", "api_type", "extra_body"):
        for model in models:
            yield Placement(f"embeddings.{name}@{model}", {"model": model, "input": "hi", name: values(url, key)[0]},
                            path="/v1/embeddings")


def send(gw: RunningGateway, placements: Iterable[Placement], workers: int = 4, team: str = "alpha") -> Counter[int]:
    """Every placement over HTTP (a few at a time); none may give a 500 or a body without an error message."""
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=gw.base_url, timeout=30) as http:
        def one(p: Placement) -> tuple[Placement, httpx.Response]:
            return p, http.post(p.path, json=p.body, headers={"authorization": f"Bearer {gw.keys[team]}",
                                                              **p.headers})

        with ThreadPoolExecutor(workers) as pool:
            for p, response in pool.map(one, placements):
                assert response.status_code != 500 and response.status_code < 503, (p.where, response.text[:300])
                if response.status_code >= 400:
                    assert response.json()["error"]["message"], p.where
                statuses[response.status_code] += 1
    return statuses
