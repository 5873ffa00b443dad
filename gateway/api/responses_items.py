"""`GET /v1/responses/{id}/input_items`: the stored conversation a Response answered, as OpenAI's item list.

Items are stored as the client sent them (masked); their ids are derived from the response id and the position,
so they are the same on every read and a page can start `after` one of them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, Field

from gateway.api.responses_shapes import FunctionCallItem, FunctionCallOutputItem, MessageItem
from gateway.api.responses_translate import Item
from gateway.errors import BadRequest


class ItemPage(BaseModel):
    """The query of an item list, validated (a bad value is a 400 naming it)."""

    limit: Annotated[int, Field(ge=1, le=100)] = 20
    order: Literal["asc", "desc"] = "desc"
    after: str | None = Field(default=None, max_length=128)


def item_list(response_id: str, items: list[Item], page: ItemPage) -> bytes:
    """One page of the items, as JSON."""
    rendered = [_render(f"{_prefix(item)}_{response_id.removeprefix('resp_')}_{i}", item)
                for i, item in enumerate(items)]
    if page.order == "desc":
        rendered.reverse()
    ids = [entry["id"] for entry in rendered]
    if page.after is not None:
        if page.after not in ids:
            raise BadRequest(f"no item {page.after!r} in response {response_id!r}", param="after")
        rendered = rendered[ids.index(page.after) + 1:]
    data = rendered[: page.limit]
    return orjson.dumps({"object": "list", "data": data, "first_id": data[0]["id"] if data else "",
                         "last_id": data[-1]["id"] if data else "", "has_more": len(rendered) > page.limit})


def _prefix(item: Item) -> str:
    return {"message": "msg", "function_call": "fc", "function_call_output": "fco"}[item.type]


def _render(item_id: str, item: Item) -> dict[str, Any]:
    if isinstance(item, (FunctionCallItem, FunctionCallOutputItem)):
        return {"id": item_id, "status": "completed", **item.model_dump(mode="json")}
    return {"id": item_id, "type": "message", "role": item.role, "status": "completed", "content": _parts(item)}


def _parts(item: MessageItem) -> list[dict[str, Any]]:
    answer = item.role == "assistant"
    if isinstance(item.content, str):
        parts: list[Any] = [{"type": "output_text" if answer else "input_text", "text": item.content}]
    else:
        parts = [part.model_dump(mode="json") for part in item.content]
    for part in parts:
        if answer and part["type"] == "output_text":
            part.setdefault("annotations", [])
        if part["type"] == "input_image" and part.get("detail") is None:
            part["detail"] = "auto"
    return parts
