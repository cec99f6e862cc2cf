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


def recorded_arguments(pipe, call_ours: Callable[[], object]) -> dict:
    """The arguments our backend gives ``pipe`` (one call of ``call_ours``, also the warm-up), for the bare call;
    without the step callback and the generator, which each side brings."""
    import functools

    given: dict = {}
    real = type(pipe).__call__

    @functools.wraps(real)
    def record(self, *args, **kwargs):
        given.update(kwargs)
        return real(self, *args, **kwargs)

    type(pipe).__call__ = record
    try:
        call_ours()
    finally:
        type(pipe).__call__ = real
    return {k: v for k, v in given.items() if k not in ("callback_on_step_end", "generator")}


def synchroniser(device: str) -> Callable[[], None]:
    """Waits for the GPU's queued work (nothing on a CPU), so a timing ends when the work does."""
    import torch

    return torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)


def peak_memory(pipe, device: str, call_ours: Callable[[], object]) -> dict[str, float]:
    """Peak GPU memory (GB) of one of our calls all on the GPU, then with model CPU offload; none on a CPU."""
    import torch

    peaks: dict[str, float] = {}
    if not device.startswith("cuda"):
        return peaks
    for offload in ("none", "model"):
        if offload == "model":
            pipe.to("cpu")
            pipe.enable_model_cpu_offload(device=device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        call_ours()
        peaks[offload] = torch.cuda.max_memory_allocated() / 1024**3
    return peaks
