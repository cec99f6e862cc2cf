"""The base of the project model's records: ids, times, asset paths, strict validation, fields a person edited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from dreamfactory_studio.core.reading import without_surrogates


def new_id(prefix: str) -> str:
    """A stable, unique id such as ``scene-3f2a9c1b0d4e``."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def now() -> datetime:
    return datetime.now(UTC)


def _relative_asset(value: str) -> str:
    path = PurePosixPath(value)
    if not value or path.is_absolute() or "\\" in value or ":" in value or ".." in path.parts:
        raise ValueError(f"asset path {value!r} must be relative to the project folder and stay inside it")
    return value


AssetPath = Annotated[str, AfterValidator(_relative_asset)]
"""A path relative to the project folder, with no way out of it."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @field_validator("*", mode="before")
    @classmethod
    def _utf8(cls, value: Any) -> Any:
        # A lone surrogate (an argument that was not UTF-8, a server's "\ud83d") could never be saved.
        return without_surrogates(value) if isinstance(value, str) else value


class _Editable(_Model):
    user_edited: list[str] = Field(default_factory=list)

    def mark_user_edit(self, *fields: str) -> None:
        """Record that the user set these fields; agents leave them alone from now on."""
        for name in fields:
            if name not in type(self).model_fields:
                raise KeyError(name)
        self.user_edited = sorted(set(self.user_edited) | set(fields))

    def is_user_edited(self, field: str) -> bool:
        return field in self.user_edited
