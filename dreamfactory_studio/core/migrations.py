"""Upgrades of ``project.json`` written by older versions of the studio.

``MIGRATIONS[n]`` turns a version-``n`` document into a version-``n + 1`` one. Every schema change adds a step
here and bumps :data:`~dreamfactory_studio.core.model.SCHEMA_VERSION`; nothing else reads old layouts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dreamfactory_studio.core.errors import DamagedProject, NewerProject
from dreamfactory_studio.core.model import SCHEMA_VERSION

Document = dict[str, Any]


def _cast_and_recipes(document: Document) -> Document:
    """Version 2 adds character sheets and LoRAs, scene layouts and take recipes; a version-1 project has none
    of them, so its document reads unchanged."""
    return document


def _screenplays(document: Document) -> Document:
    """Version 3 adds scene settings, dialogue and notes, the author, the source format and cut scenes; a
    version-2 project has none, so its document reads unchanged (prose scenes keep reading their setting from
    their script)."""
    return document


MIGRATIONS: dict[int, Callable[[Document], Document]] = {1: _cast_and_recipes, 2: _screenplays}


def migrate(document: Document, source: str = "project.json") -> Document:
    """Bring a parsed ``project.json`` up to the current schema version."""
    version = document.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise DamagedProject(f"{source} has no valid schema_version; it is not a DreamFactory project file.")
    if version > SCHEMA_VERSION:
        raise NewerProject(
            f"{source} was written by a newer DreamFactory Studio (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}). Update the studio to open it; the file was not changed."
        )
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise DamagedProject(f"{source} has schema {version}, which no migration step upgrades.")
        document = step(dict(document))
        version += 1
        document["schema_version"] = version
    return document
