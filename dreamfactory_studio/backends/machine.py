"""What this machine can run: its GPUs and their memory (asked of ``nvidia-smi``, without importing torch, so
the window opens as fast as ever) and the free disk where models go."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

GIB = 1024**3


@dataclass(frozen=True)
class Gpu:
    name: str
    total_gb: float
    free_gb: float


@dataclass(frozen=True)
class Machine:
    gpus: tuple[Gpu, ...] = field(default_factory=tuple)
    free_disk_gb: float = 0.0

    @property
    def largest_gb(self) -> float | None:
        """The memory of its largest GPU, or None without one."""
        return max((g.total_gb for g in self.gpus), default=None)


@lru_cache(maxsize=1)
def nvidia_gpus(timeout: float = 10.0) -> tuple[Gpu, ...]:
    """The NVIDIA GPUs ``nvidia-smi`` lists (none when it is missing or fails); asked once a process (the start
    page asks off the window's thread, so the Models page finds the answer ready)."""
    program = shutil.which("nvidia-smi")
    if program is None:
        return ()
    query = [program, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"]
    try:
        out = subprocess.run(query, capture_output=True, text=True, timeout=timeout, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    gpus = []
    for line in out.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) == 3:
            try:
                gpus.append(Gpu(parts[0], float(parts[1]) / 1024, float(parts[2]) / 1024))
            except ValueError:
                continue
    return tuple(gpus)


def survey(models_folder: Path) -> Machine:
    """This machine: its GPUs and the free disk under ``models_folder`` (or the nearest folder above it)."""
    where = Path(models_folder).expanduser()
    while not where.exists() and where != where.parent:
        where = where.parent
    return Machine(nvidia_gpus(), shutil.disk_usage(where).free / GIB)
