"""The recent projects list, kept in the user data folder."""

from __future__ import annotations

import json
from pathlib import Path

from dreamfactory_studio.core.atomic import atomic_write_text
from dreamfactory_studio.core.paths import data_dir

RECENT_FILE = "recent.json"
KEEP = 12


def _file() -> Path:
    return data_dir() / RECENT_FILE


def recent_projects() -> list[Path]:
    """Recently opened project folders, newest first, leaving out those that are gone."""
    try:
        paths = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(paths, list):
        return []
    return [Path(p) for p in paths if isinstance(p, str) and (Path(p) / "project.json").is_file()]


def remember_project(path: Path | str) -> None:
    """Put a project at the top of the recent list."""
    path = str(Path(path).resolve())
    paths = [path, *(str(p) for p in recent_projects() if str(p) != path)][:KEEP]
    _file().parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(_file(), json.dumps(paths, indent=1))
