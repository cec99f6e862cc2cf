"""Our backend against a bare pipeline call, in paired rounds: each round runs bare, ours, bare again, so slow
drifts of the machine (clocks, other tenants) cancel. The overhead is the median over rounds of ours against the
mean of the two bare calls around it; "bare vs itself" is the same statistic for the second bare call against the
first: the noise floor of the machine."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def paired_rounds(
    call_bare: Callable[[], object], call_ours: Callable[[], object], runs: int, sync: Callable[[], None]
) -> dict[str, list[float]]:
    """Seconds of each call, ``runs`` rounds of bare, ours, bare again, each timed between two ``sync()``."""
    series: dict[str, list[float]] = {"bare": [], "ours": [], "bare again": []}
    for _ in range(runs):
        for name, call in (("bare", call_bare), ("ours", call_ours), ("bare again", call_bare)):
            sync()
            start = time.perf_counter()
            call()
            sync()
            series[name].append(time.perf_counter() - start)
    return series


def overhead_and_noise(series: dict[str, list[float]]) -> tuple[float, float]:
    """Our overhead over the bare call, and the bare call's against itself, as fractions."""
    bare, ours, again = (series[k] for k in ("bare", "ours", "bare again"))
    overhead = statistics.median(o / ((b + a) / 2) for o, b, a in zip(ours, bare, again, strict=True)) - 1
    noise = statistics.median(a / b for b, a in zip(bare, again, strict=True)) - 1
    return overhead, noise


def ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f})"
