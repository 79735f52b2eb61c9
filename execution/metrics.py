"""Prometheus metrics, served by `GET /metrics` (and by `wa worker --metrics-port`).

Counters are per process; under `wa serve --workers N` the processes share a folder
(`PROMETHEUS_MULTIPROC_DIR`, set by `wa serve`) and `/metrics` adds them up. A `wa worker`
process serves its own on a port of its own: a scraper adds the processes up.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

WEBHOOKS = Counter(
    "wa_webhooks_total", "Green API notifications by type and outcome.", ["type", "outcome"]
)
TURNS = Counter("wa_turns_total", "Buyer turns finished, by outcome.", ["outcome"])
REPLIES_DEFERRED = Counter(
    "wa_replies_deferred_total",
    "Replies Green API refused for its rate limit, kept for the turn's next attempt.",
)
SENDS = Counter("wa_sends_total", "Outbound messages by sender and result.", ["sender", "status"])
MODE_SWITCHES = Counter("wa_mode_switches_total", "Conversation mode changes.", ["to"])
ESCALATIONS = Counter("wa_escalations_total", "Handoffs to the human agent.", ["reason"])
MODEL_LATENCY = Histogram(
    "wa_model_latency_seconds",
    "One model call.",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
)
MODEL_TOKENS = Counter("wa_model_tokens_total", "Model tokens by kind.", ["kind"])
GREENAPI_ERRORS = Counter(
    "wa_greenapi_errors_total", "Failed Green API calls, by error kind.", ["kind"]
)
INSTANCE_WARNINGS = Counter(
    "wa_instance_warnings_total",
    "Green API instance notifications that need attention (state, quota, calls, blocks).",
    ["type"],
)
COORDINATION_DOWN = Counter(
    "wa_coordination_unavailable_total", "Redis calls that failed (work went on without).", ["op"]
)
RATE_LIMITED = Counter(
    "wa_rate_limited_total", "Requests answered 429 by a rate limit, by scope.", ["scope"]
)
RATE_LIMIT_DOWN = Counter(
    "wa_rate_limits_unavailable_total", "Limit lookups that failed (the request went ahead)."
)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type: this process, or all of `wa serve`'s."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def serve_metrics(host: str, port: int) -> Callable[[], None]:
    """This process's metrics over HTTP at `http://host:port/metrics` (prometheus_client's own
    server, on a thread); returns what stops it."""
    server, thread = start_http_server(port, addr=host)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
