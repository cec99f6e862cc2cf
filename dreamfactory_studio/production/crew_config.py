"""Role cards, phases and the chat chain, read from TOML files the user can edit.

Each of ``roles.toml``, ``phases.toml`` and ``chain.toml`` is read from the shipped ``resources/crew/``, then
from ``<config dir>/crew/`` and then from ``<project>/crew/``; a later file replaces an earlier one table by
table and field by field. A malformed file is reported with its path and line.
"""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.paths import config_dir, resources_dir

PLACEHOLDERS = ("story", "request", "task", "style", "outline", "characters", "scene_count", "direction")
Conclusion = Literal["task", "style", "story", "script"]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(_Config):
    """A role card: who the agent is (Job), what it does (Task) and the rules it keeps (Requirements)."""

    title: str = Field(min_length=1)
    job: str = Field(min_length=1)
    task: str = Field(min_length=1)
    requirements: str = ""

    def card(self) -> str:
        text = f"Your role: {self.title}.\n{self.job}\nYour task: {self.task}"
        return text + (f"\nRequirements: {self.requirements}" if self.requirements else "")


class Phase(_Config):
    title: str = Field(min_length=1)
    assistant: str
    user: str
    conclusion: Conclusion
    prompt: str = Field(min_length=1)


class CrewPreset(_Config):
    description: str = ""
    rounds: dict[str, int]


class ModePreset(_Config):
    description: str = ""
    scenes: int = Field(ge=1, le=500)


class Chain(_Config):
    order: list[str] = Field(min_length=1)
    crew: str
    mode: str
    crews: dict[str, CrewPreset]
    modes: dict[str, ModePreset]


class Crew(_Config):
    """Everything the chat chain needs: the role cards, the phases and the chain."""

    roles: dict[str, Role]
    phases: dict[str, Phase]
    chain: Chain

    def rounds(self, phase: str, crew: str | None = None) -> int:
        preset = self.chain.crews[crew or self.chain.crew]
        return max(1, preset.rounds.get(phase, 1))


def _layers(name: str, project_root: Path | None) -> list[Path]:
    folders = [resources_dir() / "crew", config_dir() / "crew"]
    if project_root is not None:
        folders.append(Path(project_root) / "crew")
    return [folder / name for folder in folders if (folder / name).is_file()]


def _merge(
    into: dict[str, Any], data: dict[str, Any], origin: Path, origins: dict[str, Path], path=()
) -> None:
    for key, value in data.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, origin, origins, here)
        else:
            into[key] = value
        origins[".".join(here)] = origin


def _line_of(file: Path, dotted: str) -> int | None:
    """The line where a table or key is defined, for error messages."""
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    parts = dotted.split(".")
    for depth in range(len(parts), 0, -1):
        header = re.compile(r"^\s*\[+\s*" + re.escape(".".join(parts[:depth])) + r"\s*\]+")
        key = re.compile(r"^\s*" + re.escape(parts[depth - 1]) + r"\s*=")
        for number, line in enumerate(lines, start=1):
            if header.match(line) or key.match(line):
                return number
    return None


CREW_FILES = ("roles.toml", "phases.toml", "chain.toml")


def crew_version(project_root: Path | None = None) -> tuple:
    """What decides the crew :func:`load_crew` would read now: its files and when each last changed."""
    return tuple(
        (str(path), path.stat().st_mtime_ns) for name in CREW_FILES for path in _layers(name, project_root)
    )


def _read(name: str, project_root: Path | None) -> tuple[dict[str, Any], dict[str, Path]]:
    merged: dict[str, Any] = {}
    origins: dict[str, Path] = {}
    for file in _layers(name, project_root):
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise BadInput(
                f"{file} is not valid TOML: {exc}. Fix the file or delete it to use the defaults."
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"{file} cannot be read ({exc}).") from None
        _merge(merged, data, file, origins)
    return merged, origins


def _explain(exc: ValidationError, origins: dict[str, Path], section: str) -> str:
    first = exc.errors()[0]
    loc = [str(part) for part in first["loc"]]
    if loc and loc[0] == "chain":  # chain.toml has no [chain] table: its keys are at the top
        loc = loc[1:]
    dotted = ".".join(([section] if section else []) + loc)
    origin = None
    for depth in range(len(dotted.split(".")), 0, -1):
        origin = origins.get(".".join(dotted.split(".")[:depth]))
        if origin:
            break
    if origin is None:
        return f"crew settings: {dotted}: {first['msg']}"
    line = _line_of(origin, dotted)
    where = f"{origin}, line {line}" if line else str(origin)
    return f"{where}: {dotted}: {first['msg']}. Fix the file or delete it to use the defaults."


def _check_prompt(phase_name: str, phase: Phase, origins: dict[str, Path]) -> None:
    origin = origins.get(f"phases.{phase_name}.prompt") or origins.get(f"phases.{phase_name}")
    for _, field, _, _ in string.Formatter().parse(phase.prompt):
        if field is not None and field not in PLACEHOLDERS:
            line = _line_of(origin, f"phases.{phase_name}.prompt") if origin else None
            raise BadInput(
                f"{origin}{f', line {line}' if line else ''}: the prompt of phase '{phase_name}' has an unknown "
                f"placeholder {{{field}}}; known ones are {', '.join('{' + p + '}' for p in PLACEHOLDERS)} "
                "(write {{ and }} for literal braces)."
            )


def load_crew(project_root: Path | None = None) -> Crew:
    """Read the role cards, phases and chain, with the user's and the project's overrides applied."""
    roles, role_origins = _read("roles.toml", project_root)
    phases, phase_origins = _read("phases.toml", project_root)
    chain, chain_origins = _read("chain.toml", project_root)
    origins = {**role_origins, **phase_origins, **chain_origins}
    try:
        crew = Crew.model_validate(
            {"roles": roles.get("roles", {}), "phases": phases.get("phases", {}), "chain": chain}
        )
    except ValidationError as exc:
        raise BadInput(_explain(exc, origins, "")) from None
    for name, phase in crew.phases.items():
        _check_prompt(name, phase, origins)
        for role in (phase.assistant, phase.user):
            if role not in crew.roles:
                raise BadInput(
                    f"{origins.get(f'phases.{name}')}: phase '{name}' names an unknown role '{role}'."
                )
    for name in crew.chain.order:
        if name not in crew.phases:
            raise BadInput(f"{origins.get('order')}: the chain names an unknown phase '{name}'.")
    if crew.chain.crew not in crew.chain.crews or crew.chain.mode not in crew.chain.modes:
        raise BadInput(f"{origins.get('crew')}: the chain's crew or mode names a preset that does not exist.")
    return crew
