"""The one timing helper the benchmark scripts share (they import it from their own folder)."""

from __future__ import annotations

import statistics
import time


def median_time(fn, repeats: int, warmup: bool = False) -> float:
    """Median wall time of ``repeats`` calls of ``fn``, in seconds; ``warmup`` makes one untimed call first."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)
