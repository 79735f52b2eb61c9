"""Summaries the benchmarks print: median, p99, mean, in milliseconds."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank `q` quantile (0..1) of `samples`."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(percentile(samples, 0.99), 3),
        "mean_ms": round(statistics.fmean(samples), 3),
    }
