"""Deterministic answers in the native APIs for the fake upstream: Anthropic's Messages API (`POST /v1/messages`)
and OpenAI's Responses API (`POST /v1/responses`), whole or as their SSE events. No I/O here.

Anthropic: the answer echoes the last user text (directives removed). `thinking` in the request adds a thinking
block (text and signature) first. Prompt caching is played like Anthropic's: the words up to the last block with
`cache_control` are the cached prefix; the first request with a prefix writes it (`cache_creation_input_tokens`),
later ones read it (`cache_read_input_tokens`); `input_tokens` counts the rest. One token a word.

Responses: the answer echoes the last user text; `reasoning` in the request adds a reasoning item (a summary and
`encrypted_content`), a built-in `web_search` tool a `web_search_call` item before the message.

Both: a request that forces a tool (Anthropic's `tool_choice` `any` or `tool`, the Responses API's `required` or a
named function) is answered with that one call alone, its arguments a sample of the tool's schema whose strings
are the answer's text (as the chat fake does).
"""

from __future__ import annotations

import json
from typing import Any

try:
    from .fake_behaviour import Behaviour, strip_directives
    from .fake_openai import sample_schema, split_text, word_count
except ImportError:  # run as a script: siblings are top-level modules
    from fake_behaviour import Behaviour, strip_directives  # type: ignore[no-redef]
    from fake_openai import sample_schema, split_text, word_count  # type: ignore[no-redef]

JsonObj = dict[str, Any]
SIGNATURE = "sig-fake-thinking-0001"
THOUGHT = "The user wants an echo."


def _texts(content: Any) -> list[JsonObj]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or () if isinstance(b, dict)]


def _block_text(block: JsonObj) -> str:
    if block.get("type") == "text":
        return str(block.get("text", ""))
    if block.get("type") == "tool_result":
        return " ".join(_block_text(b) for b in _texts(block.get("content")))
    if block.get("type") == "tool_use":
        return json.dumps(block.get("input"))
    return ""


def anthropic_user_text(body: JsonObj) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return " ".join(_block_text(b) for b in _texts(message.get("content")))
    return ""


def anthropic_usage(body: JsonObj, seen: set[str]) -> JsonObj:
    """Input tokens split as Anthropic splits them; `seen` holds the cached prefixes already written."""
    blocks = _texts(body.get("system")) + [b for m in body.get("messages") or [] for b in _texts(m.get("content"))]
    words = [word_count(_block_text(b)) for b in blocks]
    marks = [i for i, b in enumerate(blocks) if b.get("cache_control")]
    cached = sum(words[: marks[-1] + 1]) if marks else 0
    prefix = "\x00".join(_block_text(b) for b in blocks[: marks[-1] + 1]) if marks else ""
    read = cached if prefix and prefix in seen else 0
    if prefix:
        seen.add(prefix)
    return {"input_tokens": sum(words) - cached, "cache_creation_input_tokens": cached - read,
            "cache_read_input_tokens": read}


def anthropic_content(body: JsonObj, behaviour: Behaviour) -> list[JsonObj]:
    text = behaviour.reply if behaviour.reply is not None else (strip_directives(anthropic_user_text(body)) or "ok")
    content: list[JsonObj] = []
    if isinstance(body.get("thinking"), dict) and body["thinking"].get("type") == "enabled":
        content.append({"type": "thinking", "thinking": THOUGHT, "signature": SIGNATURE})
    tool = _forced_tool(body.get("tools"), body.get("tool_choice"), ("any", "tool"))
    if tool is not None:
        content.append({"type": "tool_use", "id": f"toolu_{word_count(text)}", "name": tool["name"],
                        "input": sample_schema(tool.get("input_schema") or {}, text)})
    else:
        content.append({"type": "text", "text": text})
    return content


def _forced_tool(tools: Any, choice: Any, forcing: tuple[str, ...]) -> JsonObj | None:
    """The tool a request forces: the one `choice` names, else the first when `choice` forces any."""
    named = [t for t in tools or () if isinstance(t, dict) and isinstance(t.get("name"), str)]
    kind = choice.get("type") if isinstance(choice, dict) else choice
    if not named or kind not in (*forcing, "function"):
        return None
    wanted = choice.get("name") if isinstance(choice, dict) else None
    return next((t for t in named if wanted in (None, t["name"])), None)


def anthropic_message(body: JsonObj, behaviour: Behaviour, message_id: str, seen: set[str]) -> JsonObj:
    content = anthropic_content(body, behaviour)
    usage = {**anthropic_usage(body, seen), "output_tokens": sum(word_count(_block_text(b)) for b in content)}
    return {"id": message_id, "type": "message", "role": "assistant", "model": str(body.get("model", "")),
            "content": content, "stop_sequence": None, "usage": usage,
            "stop_reason": "tool_use" if content[-1]["type"] == "tool_use" else "end_turn"}


def anthropic_events(message: JsonObj) -> list[JsonObj]:
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    events: list[JsonObj] = [{"type": "message_start", "message": start}, {"type": "ping"}]
    for index, block in enumerate(message["content"]):
        if block["type"] == "thinking":
            events.append({"type": "content_block_start", "index": index,
                           "content_block": {"type": "thinking", "thinking": "", "signature": ""}})
            events += [{"type": "content_block_delta", "index": index,
                        "delta": {"type": "thinking_delta", "thinking": piece}} for piece in split_text(THOUGHT, None)]
            events.append({"type": "content_block_delta", "index": index,
                           "delta": {"type": "signature_delta", "signature": block["signature"]}})
        elif block["type"] == "tool_use":
            events.append({"type": "content_block_start", "index": index,
                           "content_block": {**block, "input": {}}})
            events.append({"type": "content_block_delta", "index": index,
                           "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}})
        else:
            events.append({"type": "content_block_start", "index": index,
                           "content_block": {"type": "text", "text": ""}})
            events += [{"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}
                       for piece in split_text(block["text"], None)]
        events.append({"type": "content_block_stop", "index": index})
    events.append({"type": "message_delta", "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                   "usage": {"output_tokens": usage["output_tokens"]}})
    events.append({"type": "message_stop"})
    return events


def responses_user_text(body: JsonObj) -> str:
    raw = body.get("input")
    if isinstance(raw, str):
        return raw
    for item in reversed(raw or []):
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            return " ".join(str(p.get("text", "")) for p in content or () if isinstance(p, dict))
    return ""


def response_body(body: JsonObj, behaviour: Behaviour, response_id: str) -> JsonObj:
    text = behaviour.reply if behaviour.reply is not None else (strip_directives(responses_user_text(body)) or "ok")
    output: list[JsonObj] = []
    reasoning = 0
    if isinstance(body.get("reasoning"), dict):
        output.append({"type": "reasoning", "id": f"rs_{response_id}", "encrypted_content": "enc-fake-reasoning",
                       "summary": [{"type": "summary_text", "text": THOUGHT}]})
        reasoning = word_count(THOUGHT)
    if any(isinstance(t, dict) and t.get("type") == "web_search" for t in body.get("tools") or ()):
        output.append({"type": "web_search_call", "id": f"ws_{response_id}", "status": "completed",
                       "action": {"type": "search", "query": text}})
    tool = _forced_tool(body.get("tools"), body.get("tool_choice"), ("required",))
    if tool is not None:
        output.append({"type": "function_call", "id": f"fc_{response_id}", "call_id": f"call_{response_id}",
                       "name": tool["name"], "status": "completed",
                       "arguments": json.dumps(sample_schema(tool.get("parameters") or {}, text))})
    else:
        output.append({"type": "message", "id": f"msg_{response_id}", "role": "assistant", "status": "completed",
                       "content": [{"type": "output_text", "text": text, "annotations": []}]})
    history = body.get("input")
    prompt = word_count(str(body.get("instructions") or "")) + (
        word_count(history) if isinstance(history, str) else sum(word_count(_item_text(i)) for i in history or ()))
    usage = {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": min(behaviour.cached_tokens or 0, prompt)},
             "output_tokens": word_count(text) + reasoning,
             "output_tokens_details": {"reasoning_tokens": reasoning},
             "total_tokens": prompt + word_count(text) + reasoning}
    return {"id": response_id, "object": "response", "created_at": 1700000000, "status": "completed",
            "model": str(body.get("model", "")), "output": output, "usage": usage, "parallel_tool_calls": True,
            "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools") or [], "error": None,
            "incomplete_details": None, "instructions": body.get("instructions"), "metadata": {},
            "temperature": body.get("temperature"), "top_p": body.get("top_p"), "store": body.get("store", True)}


def _item_text(item: Any) -> str:
    if not isinstance(item, dict):
        return ""
    content = item.get("content")
    if isinstance(content, str):
        return content
    return " ".join(str(p.get("text", "")) for p in content or () if isinstance(p, dict))


def response_events(done: JsonObj) -> list[JsonObj]:
    pending = {**done, "status": "in_progress", "output": [], "usage": None}
    events: list[JsonObj] = [{"type": "response.created", "response": pending},
                             {"type": "response.in_progress", "response": pending}]
    for index, item in enumerate(done["output"]):
        if item["type"] != "message":
            events += [{"type": "response.output_item.added", "output_index": index, "item": item},
                       {"type": "response.output_item.done", "output_index": index, "item": item}]
            continue
        part = item["content"][0]
        where = {"item_id": item["id"], "output_index": index, "content_index": 0}
        events.append({"type": "response.output_item.added", "output_index": index,
                       "item": {**item, "status": "in_progress", "content": []}})
        events.append({"type": "response.content_part.added", **where,
                       "part": {"type": "output_text", "text": "", "annotations": []}})
        events += [{"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
                   for piece in split_text(part["text"], None)]
        events += [{"type": "response.output_text.done", **where, "text": part["text"], "logprobs": []},
                   {"type": "response.content_part.done", **where, "part": part},
                   {"type": "response.output_item.done", "output_index": index, "item": item}]
    events.append({"type": "response.completed", "response": done})
    return [{**event, "sequence_number": n} for n, event in enumerate(events)]
