"""The models the studio can fetch for a user, as data (``resources/models/recipes.toml``), and what fits a
machine: each recipe's repositories and files, size, GPU memory, licence and the settings it fills.

Nothing here touches the network or a GPU: the survey of this machine is ``backends/machine.py``, the downloads
``backends/model_downloads.py``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.paths import resources_dir

Fit = Literal["fits", "fits with offload", "too big", "no GPU"]


@dataclass(frozen=True)
class RepoFiles:
    repo: str
    revision: str
    files: tuple[str, ...]
    """Glob patterns of the files to take (``allow_patterns``)."""


@dataclass(frozen=True)
class Licence:
    name: str
    url: str
    commercial: Literal["yes", "limited", "no"]


@dataclass(frozen=True)
class Recipe:
    id: str
    label: str
    kind: Literal["painter", "video", "voice", "crew", "adapter"]
    family: str
    size_gb: float
    vram_gb: float
    offload_gb: float
    licence: Licence
    gated: bool
    repos: tuple[RepoFiles, ...]
    fills: dict[str, str]
    """Settings (``section.key``) and their values; ``{owner/name}`` is that repository's folder once fetched."""
    cpu_ok: bool = False
    """Runs on a CPU in a usable time (SD-Turbo); else it needs a GPU."""

    @property
    def asks_acceptance(self) -> bool:
        """Whether its licence is shown and accepted before it is fetched: gated or not for commercial use."""
        return self.gated or self.licence.commercial != "yes"

    def fit(self, gpu_gb: float | None) -> Fit:
        """How it fits a GPU of ``gpu_gb`` (None: no GPU)."""
        if gpu_gb is None:
            return "no GPU"
        if self.vram_gb <= gpu_gb:
            return "fits"
        return "fits with offload" if self.offload_gb <= gpu_gb else "too big"


RECIPES_FILE = "models/recipes.toml"
"""Where the shipped recipes are, under the resources folder."""


@lru_cache(maxsize=1)
def recipes() -> tuple[Recipe, ...]:
    """Every recipe the studio ships, in the file's order."""
    return read_recipes(resources_dir() / RECIPES_FILE)


def read_recipes(path: Path) -> tuple[Recipe, ...]:
    """The recipes of a recipes file, in its order."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    made = []
    for item in data["recipe"]:
        made.append(
            Recipe(
                id=item["id"],
                label=item["label"],
                kind=item["kind"],
                family=item["family"],
                size_gb=float(item["size_gb"]),
                vram_gb=float(item["vram_gb"]),
                offload_gb=float(item["offload_gb"]),
                licence=Licence(**item["licence"]),
                gated=bool(item["gated"]),
                repos=tuple(RepoFiles(r["repo"], r["revision"], tuple(r["files"])) for r in item["repos"]),
                fills=dict(item["fills"]),
                cpu_ok=bool(item.get("cpu_ok", False)),
            )
        )
    return tuple(made)


def recipe(recipe_id: str) -> Recipe:
    """The recipe ``recipe_id``; :class:`BadInput` naming the recipes otherwise."""
    for made in recipes():
        if made.id == recipe_id:
            return made
    raise BadInput(
        f"there is no model recipe '{recipe_id}'; the recipes are {', '.join(r.id for r in recipes())}."
    )


TIERS = (
    (None, "no GPU", ("sd-turbo",)),
    (12.0, "a GPU of 8 to 12 GB", ("flux2-klein-4b", "ltx-video")),
    (24.0, "a GPU of 16 to 24 GB", ("flux2-klein-4b", "z-image-turbo", "wan2.2-ti2v-5b", "ltx-video")),
    (10_000.0, "a GPU of 48 GB and more", ("qwen-image-edit-2509", "flux2-klein-4b", "wan2.1-flf2v")),
)


def recommended(gpu_gb: float | None) -> tuple[str, tuple[str, ...]]:
    """The tier of a machine with a GPU of ``gpu_gb`` (None: none) and the recipes advised for it, best first."""
    for limit, words, ids in TIERS:
        if (gpu_gb is None) == (limit is None) and (gpu_gb is None or gpu_gb <= limit):
            return words, ids
    return TIERS[-1][1], TIERS[-1][2]
