"""The operator API (`/api/...`): list conversations, read one, switch its mode, send as the
human agent. An agent's token sees that agent's conversations only; the admin's sees all."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import AfterValidator, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from execution.conversations import Conversation, get_conversation, history, list_conversations
from execution.errors import NotFoundError
from execution.runtime import Runtime
from execution.send_keys import MAX_CALLER_KEY_LENGTH, from_caller
from execution.send_whatsapp_message import send_whatsapp_message
from execution.set_mode import set_mode, set_mode_human
from execution.storable_text import unstorable
from web.access import Scope, address_limit, limited_scope
from web.state import state_of

MAX_ID = 2**63 - 1
"""The largest row id either backend stores (a larger one is a 422, not an overflow)."""
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _storable(text: str) -> str:
    if unstorable(text):
        raise ValueError("the text holds a NUL character or an unpaired surrogate")
    return text


StorableText = Annotated[str, AfterValidator(_storable)]


class ToggleMode(BaseModel):
    conversation_id: RowId
    mode: Literal["AI", "HUMAN"]
    reason: StorableText = Field(min_length=1, max_length=500)


class HumanMessage(BaseModel):
    text: StorableText = Field(min_length=1, max_length=100_000)
    idempotency_key: str | None = Field(None, min_length=1, max_length=MAX_CALLER_KEY_LENGTH)
    takeover: bool = True


Caller = Annotated[Scope, Depends(limited_scope)]
operator_api = APIRouter(prefix="/api", dependencies=[Depends(address_limit)])


def _owned(request: Request, conversation_id: int, caller: Scope) -> Conversation:
    """The conversation, if the caller may see it; another agent's is simply not found."""
    try:
        conversation = get_conversation(state_of(request.app).store, conversation_id)
    except NotFoundError:
        conversation = None
    if conversation is None or caller.agent_id not in (None, conversation.agent_id):
        raise HTTPException(404, f"no conversation {conversation_id}")
    return conversation


@operator_api.get("/conversations")
def api_conversations(
    request: Request,
    caller: Caller,
    agent_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    mode: Literal["AI", "HUMAN"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    if caller.agent_id is not None:
        if agent_id not in (None, caller.agent_id):
            raise HTTPException(403, "this token is scoped to another agent")
        agent_id = caller.agent_id
    found = list_conversations(state_of(request.app).store, agent_id, mode, limit)
    return [asdict(c) for c in found]


@operator_api.get("/conversations/{conversation_id}/messages")
def api_messages(
    request: Request,
    conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    conversation = _owned(request, conversation_id, caller)
    recent = history(state_of(request.app).store, conversation_id, limit)
    return {"conversation": asdict(conversation), "messages": [asdict(m) for m in recent]}


@operator_api.post("/conversations/toggle-mode")
def api_toggle_mode(request: Request, body: ToggleMode, caller: Caller) -> dict[str, Any]:
    _owned(request, body.conversation_id, caller)
    state = state_of(request.app)
    change = set_mode(
        state.store, state.coordinator, body.conversation_id, body.mode, body.reason, caller.actor
    )
    return asdict(change)


@operator_api.post("/conversations/{conversation_id}/messages")
async def api_send_as_human(
    request: Request,
    conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: HumanMessage,
    caller: Caller,
) -> dict[str, Any]:
    await run_in_threadpool(_owned, request, conversation_id, caller)
    rt: Runtime = state_of(request.app).runtime
    if body.takeover:
        await run_in_threadpool(
            set_mode_human,
            rt.store,
            rt.coordinator,
            conversation_id,
            "the agent sent a message",
            caller.actor,
        )
    key = body.idempotency_key or f"api:{uuid.uuid4()}"
    caller_key = from_caller(conversation_id, key)
    result = await send_whatsapp_message(
        rt, conversation_id, body.text, sender="HUMAN", idempotency_key=caller_key
    )
    if result.status == "failed":
        raise HTTPException(502, f"Green API did not take the message: {result.reason}")
    return asdict(result) | {"idempotency_key": key}  # the caller's key, as it was given
