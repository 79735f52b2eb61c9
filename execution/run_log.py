"""The record of orchestrator runs: one row per run, one per step (model turn or tool call).

`record_run` is the one write path (the loop calls it when a run ends, however it ends); the
readers give a run back with its steps, and the tool results a conversation's turns saw.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from execution.errors import NotFoundError
from execution.store import Store

USAGE_KEYS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
MAX_STORED_CHARS = 8000


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str, ensure_ascii=False)


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_STORED_CHARS:
        return text
    return text[:MAX_STORED_CHARS] + " ...(cut)"


def record_run(
    store: Store,
    *,
    directive: str,
    provider: str,
    model: str | None,
    stopped: str,
    steps: Sequence[dict[str, Any]],
    dry_run: bool = False,
    agent_id: int | None = None,
    conversation_id: int | None = None,
    turn_id: str | None = None,
) -> int:
    """Write a finished run and its steps in one transaction; returns the run id.

    A step is a dict with `index`, `kind` ("model" | "tool"), `latency_ms`, and optionally
    `tool`, `arguments`, `result`, `is_error`, `text`, `usage` ({input_tokens, ...}).
    """
    totals = dict.fromkeys(USAGE_KEYS, 0)
    for step in steps:
        for key in USAGE_KEYS:
            totals[key] += int((step.get("usage") or {}).get(key, 0))
    with store.transaction() as tx:
        row = tx.fetchone(
            "INSERT INTO runs (agent_id, conversation_id, directive, turn_id, provider, model, "
            "stopped, dry_run, step_count, latency_ms, input_tokens, output_tokens, "
            "cache_read_tokens, cache_write_tokens) VALUES (:agent_id, :conversation_id, "
            ":directive, :turn_id, :provider, :model, :stopped, :dry_run, :step_count, "
            ":latency_ms, :input_tokens, :output_tokens, :cache_read_tokens, "
            ":cache_write_tokens) RETURNING run_id",
            {
                "agent_id": agent_id,
                "conversation_id": conversation_id,
                "directive": directive,
                "turn_id": turn_id,
                "provider": provider,
                "model": model,
                "stopped": stopped,
                "dry_run": dry_run,
                "step_count": len(steps),
                "latency_ms": sum(float(s["latency_ms"]) for s in steps),
                **totals,
            },
        )
        assert row is not None
        run_id = int(row["run_id"])
        if steps:
            tx.executemany(
                "INSERT INTO run_steps (run_id, step, kind, tool, arguments, result, is_error, "
                "text, latency_ms, input_tokens, output_tokens, cache_read_tokens, "
                "cache_write_tokens) VALUES (:run_id, :step, :kind, :tool, :arguments, :result, "
                ":is_error, :text, :latency_ms, :input_tokens, :output_tokens, "
                ":cache_read_tokens, :cache_write_tokens)",
                [
                    {
                        "run_id": run_id,
                        "step": s["index"],
                        "kind": s["kind"],
                        "tool": s.get("tool"),
                        "arguments": _json(s.get("arguments")),
                        "result": _cut(s.get("result")),
                        "is_error": bool(s.get("is_error")),
                        "text": _cut(s.get("text")),
                        "latency_ms": float(s["latency_ms"]),
                        **{key: (s.get("usage") or {}).get(key) for key in USAGE_KEYS},
                    }
                    for s in steps
                ],
            )
    return run_id


def _run_row(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"dry_run": bool(row["dry_run"])}


def get_run(store: Store, run_id: int) -> dict[str, Any]:
    """A run with its steps (arguments decoded), in order."""
    with store.read() as tx:
        run = tx.fetchone("SELECT * FROM runs WHERE run_id = :id", {"id": run_id})
        steps = tx.fetchall(
            "SELECT * FROM run_steps WHERE run_id = :id ORDER BY step", {"id": run_id}
        )
    if run is None:
        raise NotFoundError(f"no run {run_id}")
    return _run_row(run) | {"steps": [_step_row(step) for step in steps]}


def _step_row(row: dict[str, Any]) -> dict[str, Any]:
    arguments = json.loads(row["arguments"]) if row["arguments"] else None
    return row | {"arguments": arguments, "is_error": bool(row["is_error"])}


def tool_results(
    store: Store, conversation_id: int, tools: Sequence[str], runs: int = 5
) -> list[str]:
    """The successful results of `tools` in the conversation's last `runs` runs, oldest first."""
    if not tools:
        return []
    names = {f"tool{i}": name for i, name in enumerate(tools)}
    placeholders = ", ".join(f":{key}" for key in names)
    with store.read() as tx:
        rows = tx.fetchall(
            "SELECT s.result FROM run_steps s JOIN (SELECT run_id FROM runs "
            "WHERE conversation_id = :id AND NOT dry_run ORDER BY run_id DESC LIMIT :runs) r "
            f"ON r.run_id = s.run_id WHERE s.kind = 'tool' AND s.tool IN ({placeholders}) "
            "AND NOT s.is_error AND s.result IS NOT NULL ORDER BY s.run_id, s.step",
            {"id": conversation_id, "runs": runs, **names},
        )
    return [row["result"] for row in rows]
