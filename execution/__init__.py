"""The execution layer: deterministic, typed functions (DB, Redis, Green API).

Nothing here imports `orchestrator`, `cli` or `serve`.
"""
