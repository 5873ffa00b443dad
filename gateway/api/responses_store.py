"""Stored Responses: kept per team, masked by the exchange log's masker (the raw text is gone before the row is
built), kept as long as the caller's policy keeps exchanges. A follow-up (`previous_response_id`) replays the
stored, masked conversation: what a team stores never holds the personal data the exchange log would not hold.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from gateway.api.responses_objects import OutputItem, OutputMessage, OutputRefusal, ResponseObject
from gateway.api.responses_shapes import FunctionCallItem, InputItem, InputText, MessageItem, Refusal
from gateway.api.responses_translate import Item
from gateway.errors import NotFound
from gateway.exchange_masking import PayloadMasker
from registry.stored_responses import StoredResponse, delete_response, get_response, save_response
from registry.tables import utcnow

if TYPE_CHECKING:
    from gateway.state import Gateway

log = logging.getLogger("warden.responses")
DEFAULT_RETENTION_DAYS = 30
_items = TypeAdapter(list[InputItem])
_outputs = TypeAdapter(list[OutputItem])
_REPLAYED = frozenset({"message", "function_call"})


class ResponseStore:
    def __init__(self, gw: Gateway, team: str | None, masker: PayloadMasker | None = None) -> None:
        self._gw, self._team = gw, team
        self._masker = masker or PayloadMasker()

    async def conversation(self, response_id: str | None) -> list[Item]:
        """The items of the stored response `response_id` and its answer, as input for the next turn."""
        if response_id is None:
            return []
        row = await self._row(response_id, "previous_response_id")
        # A native upstream's reasoning and built-in tool items are not replayed: the upstream kept nothing
        # (`store: false`), and the next turn may go to a deployment that translates.
        output = [item for item in row.response.get("output") or () if item.get("type") in _REPLAYED]
        return _items.validate_python(row.input_items) + [_as_input(item) for item in _outputs.validate_python(output)]

    async def keep(self, items: list[Item], response: ResponseObject, policy: str | None) -> ResponseObject:
        """`response` once stored; if it could not be (database away, masking failed), the answer still goes
        to the caller, saying `store: false`: it was produced and paid for, and nothing was kept unmasked."""
        return response if await self.keep_body(items, response.json_body(), policy) else response.model_copy(
            update={"store": False})

    async def keep_body(self, items: list[Item], body: dict[str, Any], policy: str | None) -> bool:
        """Stores a Response's JSON (a native upstream's too); False when it could not be."""
        try:
            await self._write(items, body, policy)
        except Exception as exc:
            log.warning("response %s not stored: %s", body.get("id"), type(exc).__name__)
            return False
        return True

    async def _write(self, items: list[Item], body: dict[str, Any], policy: str | None) -> None:
        values = [[item.model_dump(mode="json", by_alias=True) for item in items], body]
        masked = await asyncio.to_thread(self._masker.mask_values, values)
        found = self._gw.guardrails.policy(policy)
        days = found.config.retention_days if found is not None else DEFAULT_RETENTION_DAYS
        created = utcnow()
        row = StoredResponse(id=str(body["id"]), team=self._team, created_at=created,
                             retention_until=created + timedelta(days=days),
                             input_items=masked[0], response=masked[1])  # type: ignore[arg-type]
        await asyncio.to_thread(save_response, self._gw.engine, row)

    async def items(self, response_id: str) -> list[Item]:
        """The conversation `response_id` answered (earlier turns included)."""
        return _items.validate_python((await self._row(response_id, None)).input_items)

    async def get(self, response_id: str) -> dict[str, Any]:
        """The stored Response's JSON, as it was answered (masked)."""
        return dict((await self._row(response_id, None)).response)

    async def delete(self, response_id: str) -> None:
        if not await asyncio.to_thread(delete_response, self._gw.engine, response_id, self._team):
            raise _missing(response_id, None)

    async def _row(self, response_id: str, param: str | None) -> StoredResponse:
        row = await asyncio.to_thread(get_response, self._gw.engine, response_id, self._team)
        if row is None:
            raise _missing(response_id, param)
        return row


def _missing(response_id: str, param: str | None) -> NotFound:
    # Another team's response is as absent as one never stored: the answer says nothing about it.
    return NotFound(f"no stored response {response_id!r}", param=param, code="response_not_found")


def _as_input(item: OutputMessage | FunctionCallItem | object) -> Item:
    if isinstance(item, OutputMessage):
        parts = [Refusal(type="refusal", refusal=p.refusal) if isinstance(p, OutputRefusal)
                 else InputText(type="output_text", text=p.text) for p in item.content]
        return MessageItem(role="assistant", content=parts)  # type: ignore[arg-type]
    return FunctionCallItem.model_validate(item, from_attributes=True)
